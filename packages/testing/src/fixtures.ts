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
    const order = await insertOrder(
      orders.database.db,
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
    );
    let paymentId: string | null = null;
    if (options.withPayment ?? true) {
      const payment = await insertPayment(payments.database.db, {
        id: randomUUID(),
        order_id: order.id,
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
