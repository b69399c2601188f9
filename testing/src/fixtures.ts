import { randomUUID } from 'node:crypto';
import { insertOrder } from '@shop/orders';
import { insertPayment } from '@shop/payments';
import { CreateProductDocument, type CreateProductInput, type ProductFieldsFragment, type ShopClient } from '@shop/sdk';
import type { TestSupergraph } from './supergraph.js';

let skuCounter = 0;

/** Creates `count` products through the API (admin client), in creation order. */
export async function createProducts(
  admin: ShopClient,
  count: number,
  overrides: Partial<CreateProductInput> = {},
): Promise<ProductFieldsFragment[]> {
  const created: ProductFieldsFragment[] = [];
  for (let index = 0; index < count; index += 1) {
    skuCounter += 1;
    const { createProduct } = await admin.request(CreateProductDocument, {
      input: {
        sku: `SKU-${process.pid}-${skuCounter}`,
        name: `Product ${skuCounter}`,
        description: `Test product number ${skuCounter}`,
        price: { amount: 100 * (index + 1), currency: 'EUR' },
        stock: 50,
        ...overrides,
      },
    });
    created.push(createProduct);
  }
  return created;
}

export interface SeededOrder {
  id: string;
  customerId: string;
  paymentId: string | null;
  total: number;
}

/**
 * Writes orders (and optionally a succeeded payment each) straight into the
 * orders and payments databases. Placing orders through the API belongs to the
 * checkout saga; these fixtures only give the read side something to read.
 */
export async function seedOrders(
  test: TestSupergraph,
  options: { customerId: string; count: number; products: ProductFieldsFragment[]; withPayment?: boolean; start?: Date },
): Promise<SeededOrder[]> {
  const { orders, payments } = test.supergraph;
  if (!orders || !payments) throw new Error('seedOrders needs the orders and payments subgraphs');
  const seeded: SeededOrder[] = [];
  const start = options.start?.getTime() ?? Date.now() - options.count * 1000;
  for (let index = 0; index < options.count; index += 1) {
    const createdAt = new Date(start + index * 1000);
    const items = options.products.map((product, line) => ({
      line_number: line + 1,
      product_id: product.id,
      quantity: line + 1,
      unit_price_amount: product.price.amount,
      currency: product.price.currency,
    }));
    const total = items.reduce((sum, item) => sum + item.quantity * item.unit_price_amount, 0);
    const order = await orders.database.db.transaction().execute((trx) => insertOrder(
      trx,
      {
        id: randomUUID(),
        customer_id: options.customerId,
        status: 'CONFIRMED',
        cancellation_reason: null,
        total_amount: total,
        currency: 'EUR',
        idempotency_key: randomUUID(),
        created_at: createdAt,
        updated_at: createdAt,
      },
      items,
    ));
    let paymentId: string | null = null;
    if (options.withPayment ?? true) {
      const payment = await insertPayment(payments.database.db, {
        id: randomUUID(),
        order_id: order.id,
        idempotency_key: order.id,
        customer_id: options.customerId,
        amount: total,
        currency: 'EUR',
        status: 'SUCCEEDED',
        failure_reason: null,
        attempts: 1,
        created_at: createdAt,
        updated_at: createdAt,
      });
      paymentId = payment.id;
    }
    seeded.push({ id: order.id, customerId: options.customerId, paymentId, total });
  }
  return seeded;
}

/**
 * Waits until the orders subgraph's catalog read model reflects each product
 * as given (it is fed by ProductChanged events, so it lags the products
 * subgraph by an event delivery).
 */
export async function waitForCatalog(
  test: TestSupergraph,
  products: readonly Pick<ProductFieldsFragment, 'id' | 'updatedAt'>[],
  timeoutMs = 15_000,
): Promise<void> {
  const orders = test.supergraph.orders;
  if (!orders) throw new Error('waitForCatalog needs the orders subgraph');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = products.length
      ? await orders.database.db.selectFrom('catalog_products').select(['product_id', 'changed_at']).where('product_id', 'in', products.map((p) => p.id)).execute()
      : [];
    const seen = new Map(rows.map((row) => [row.product_id, row.changed_at.getTime()]));
    if (products.every((product) => (seen.get(product.id) ?? -1) >= Date.parse(product.updatedAt))) return;
    if (Date.now() > deadline) throw new Error(`the orders catalog did not catch up with ${products.length} products in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Creates products through the API and waits until they can be ordered. */
export async function createOrderableProducts(
  test: TestSupergraph,
  count: number,
  overrides: Partial<CreateProductInput> = {},
): Promise<ProductFieldsFragment[]> {
  const products = await createProducts(test.admin, count, overrides);
  await waitForCatalog(test, products);
  return products;
}
