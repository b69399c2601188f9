// A checkout as a customer: place an order, then follow its status live until the saga decides.
//   CUSTOMER_TOKEN=$(npm run --silent token -- --sub alice) npx tsx examples/checkout.ts
import { randomUUID } from 'node:crypto';
import { createClient, OrderStatusChangedDocument, PlaceOrderDocument, ProductsDocument } from '@shop/sdk';

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

// placeOrder answers at once with the PENDING order; the subscription sends the order now and again when the
// saga decides (over a WebSocket at the same URL), then ends.
for await (const { orderStatusChanged: order } of shop.subscribe(OrderStatusChangedDocument, { id: placeOrder.id })) {
  console.log(order.status, order.cancellationReason ?? '', order.payment?.status ?? ''); // PENDING, then CONFIRMED  SUCCEEDED
}
