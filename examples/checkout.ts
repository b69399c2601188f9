// A checkout as a customer: place an order, then follow it until the saga decides.
//   CUSTOMER_TOKEN=$(npm run --silent token -- --sub alice) npx tsx examples/checkout.ts
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, OrderDocument, PlaceOrderDocument, ProductsDocument } from '@shop/sdk';

const url = process.env['SHOP_URL'] ?? 'http://localhost:4000/graphql';
const shop = createClient({ url, token: process.env['CUSTOMER_TOKEN'] });

const { products } = await shop.request(ProductsDocument, { first: 1 });
const product = products.edges[0]?.node;
if (!product) throw new Error('the catalog is empty: create a product first (examples/catalog.ts, or the demo data of npm start)');

const { placeOrder } = await shop.request(PlaceOrderDocument, {
  input: {
    items: [{ productId: product.id, quantity: 1 }],
    paymentToken: 'tok_visa',
    idempotencyKey: randomUUID(), // retry with the same key: the same order, never a second charge
  },
});
console.log(`placed order ${placeOrder.id}: ${placeOrder.status}`);

// placeOrder answers at once with the PENDING order; ask again, a little less often each time, until the saga decides.
let order = placeOrder;
for (let delayMs = 100; order.status === 'PENDING'; delayMs = Math.min(delayMs * 2, 2_000)) {
  await sleep(delayMs);
  const { order: latest } = await shop.request(OrderDocument, { id: order.id });
  if (!latest) throw new Error(`order ${order.id} is not visible to this customer`);
  order = latest;
}
console.log(order.status, order.cancellationReason ?? '', order.payment?.status ?? ''); // CONFIRMED  SUCCEEDED
