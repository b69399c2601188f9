import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '@shop/events';
import { ADMIN, customer, startSubgraphUnderTest, type SubgraphUnderTest } from '@shop/subgraph-kit/testing';
import { insertOrder, startOrdersSubgraph, type OrdersSubgraph } from '../index.js';

const SAGA_DEADLINE_MS = 60_000;
let orders: SubgraphUnderTest<OrdersSubgraph>;

/** Products of the catalog read model, as the products subgraph announced them. */
const MUG = { productId: randomUUID(), sku: 'MUG', name: 'Mug', price: { amount: 1_400, currency: 'EUR' }, active: true };
const TEE = { productId: randomUUID(), sku: 'TEE', name: 'T-shirt', price: { amount: 2_500, currency: 'EUR' }, active: true };
const ARCHIVED = { productId: randomUUID(), sku: 'OLD', name: 'Archived lamp', price: { amount: 6_900, currency: 'EUR' }, active: false };
const DOLLARS = { productId: randomUUID(), sku: 'USD-CAP', name: 'Cap', price: { amount: 2_000, currency: 'USD' }, active: true };

beforeAll(async () => {
  // The periodic sweep never runs during the tests: they sweep when they mean to.
  orders = await startSubgraphUnderTest((options) => startOrdersSubgraph({ ...options, sagaDeadlineMs: SAGA_DEADLINE_MS, sweepIntervalMs: 3_600_000 }));
  for (const product of [MUG, TEE, ARCHIVED, DOLLARS]) await orders.deliver(createEvent('ProductChanged', product.productId, product));
});
afterAll(() => orders?.stop());

const PLACE = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) { id status total { amount currency } items { quantity unitPrice { amount } lineTotal { amount } } }
  }
`;
const ORDER = /* GraphQL */ `
  query Order($id: ID!) { order(id: $id) { id status cancellationReason } }
`;
const CANCEL = /* GraphQL */ `
  mutation Cancel($id: ID!) { cancelOrder(id: $id) { id status cancellationReason } }
`;

interface PlacedOrder {
  id: string;
  status: string;
  total: { amount: number; currency: string };
}

function place(items: { productId: string; quantity: number }[], customerId = 'alice') {
  return orders.request<{ placeOrder: PlacedOrder }>(PLACE, { input: { items, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } }, customer(customerId));
}

async function placed(items: { productId: string; quantity: number }[], customerId = 'alice'): Promise<PlacedOrder> {
  const { data, errors } = await place(items, customerId);
  expect(errors).toBeUndefined();
  return data!.placeOrder;
}

/** A PENDING order of one mug, written straight to the database as placed at `placedAt` (past the saga deadline, say). */
function insertPendingOrder(customerId: string, placedAt: Date) {
  return insertOrder(
    orders.subgraph.database.db,
    {
      id: randomUUID(),
      customer_id: customerId,
      status: 'PENDING',
      cancellation_reason: null,
      total_amount: 1_400,
      currency: 'EUR',
      idempotency_key: randomUUID(),
      created_at: placedAt,
      updated_at: placedAt,
    },
    [{ line_number: 1, product_id: MUG.productId, quantity: 1, unit_price_amount: 1_400, currency: 'EUR' }],
  );
}

async function statusOf(id: string) {
  const { data } = await orders.request<{ order: { status: string; cancellationReason: string | null } }>(ORDER, { id }, ADMIN);
  return { status: data!.order.status, cancellationReason: data!.order.cancellationReason };
}

describe('placeOrder: the items', () => {
  it.each([
    ['no line at all', [], 'input.items'],
    ['a product twice', [{ productId: MUG.productId, quantity: 1 }, { productId: MUG.productId, quantity: 2 }], 'input.items[1].productId'],
    ['a quantity of 0', [{ productId: MUG.productId, quantity: 0 }], 'input.items[0].quantity'],
    ['a quantity over 1,000', [{ productId: TEE.productId, quantity: 1_001 }], 'input.items[0].quantity'],
    ['a product id that is not a UUID', [{ productId: 'mug', quantity: 1 }], 'input.items[0].productId'],
    ['a product the catalog does not know', [{ productId: randomUUID(), quantity: 1 }], 'input.items[0].productId'],
    ['an archived product', [{ productId: TEE.productId, quantity: 1 }, { productId: ARCHIVED.productId, quantity: 1 }], 'input.items[1].productId'],
    ['two currencies', [{ productId: MUG.productId, quantity: 1 }, { productId: DOLLARS.productId, quantity: 1 }], 'input.items'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing no order and no event', async (_, items, field) => {
    const customerId = `refused-${randomUUID()}`;
    const { data, errors } = await place(items, customerId);
    expect(data).toBeNull();
    expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field } })]);
    const written = await orders.subgraph.database.db.selectFrom('orders').select('id').where('customer_id', '=', customerId).execute();
    expect(written).toEqual([]);
  });

  it('prices the lines from the catalog, stores the order PENDING and announces it with OrderPlaced', async () => {
    const order = await placed([{ productId: MUG.productId, quantity: 2 }, { productId: TEE.productId, quantity: 1 }]);
    expect(order).toMatchObject({ status: 'PENDING', total: { amount: 2 * 1_400 + 2_500, currency: 'EUR' } });
    const [announced, ...more] = await orders.emitted(order.id);
    expect(more).toEqual([]);
    expect(announced).toMatchObject({
      type: 'OrderPlaced',
      data: {
        orderId: order.id,
        customerId: 'alice',
        items: [
          { productId: MUG.productId, quantity: 2, unitPrice: { amount: 1_400, currency: 'EUR' } },
          { productId: TEE.productId, quantity: 1, unitPrice: { amount: 2_500, currency: 'EUR' } },
        ],
        total: { amount: 5_300, currency: 'EUR' },
        paymentToken: 'tok_visa',
      },
    });
  });
});

describe('finishing an order', () => {
  const emittedTypes = async (id: string) => (await orders.emitted(id)).map(({ type, data }) => ({ type, data }));

  it('confirms it when its payment succeeded; a late PaymentFailed changes nothing', async () => {
    const order = await placed([{ productId: MUG.productId, quantity: 1 }]);
    const paymentId = randomUUID();
    await orders.deliver(createEvent('PaymentSucceeded', order.id, { orderId: order.id, paymentId, amount: order.total }));
    await orders.deliver(createEvent('PaymentFailed', order.id, { orderId: order.id, paymentId, failureReason: 'card_declined' }));
    expect(await statusOf(order.id)).toEqual({ status: 'CONFIRMED', cancellationReason: null });
    expect(await emittedTypes(order.id)).toEqual([
      expect.objectContaining({ type: 'OrderPlaced' }),
      { type: 'OrderConfirmed', data: { orderId: order.id } },
    ]);
  });

  it.each([
    ['StockRejected', 'OUT_OF_STOCK'],
    ['PaymentFailed', 'PAYMENT_DECLINED'],
  ] as const)('cancels it on %s (%s), once however often the event arrives', async (type, reason) => {
    const order = await placed([{ productId: TEE.productId, quantity: 1 }]);
    const event = () =>
      type === 'StockRejected'
        ? createEvent('StockRejected', order.id, { orderId: order.id, unavailableProductIds: [TEE.productId] })
        : createEvent('PaymentFailed', order.id, { orderId: order.id, paymentId: randomUUID(), failureReason: 'card_declined' });
    await orders.deliver(event());
    await orders.deliver(event());
    expect(await statusOf(order.id)).toEqual({ status: 'CANCELLED', cancellationReason: reason });
    expect((await emittedTypes(order.id)).slice(1)).toEqual([{ type: 'OrderCancelled', data: { orderId: order.id, reason } }]);
  });

  it('cancels it for its customer, then refuses a second cancel with CONFLICT; someone else’s order is unknown to them', async () => {
    const order = await placed([{ productId: MUG.productId, quantity: 1 }], 'bob');
    const byEve = await orders.request(CANCEL, { id: order.id }, customer('eve'));
    expect(byEve.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });

    const { data, errors } = await orders.request(CANCEL, { id: order.id }, customer('bob'));
    expect(errors).toBeUndefined();
    expect(data).toEqual({ cancelOrder: { id: order.id, status: 'CANCELLED', cancellationReason: 'CUSTOMER_CANCELLED' } });
    expect((await emittedTypes(order.id)).slice(1)).toEqual([{ type: 'OrderCancelled', data: { orderId: order.id, reason: 'CUSTOMER_CANCELLED' } }]);

    const again = await orders.request(CANCEL, { id: order.id }, customer('bob'));
    expect(again.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    expect(again.errors?.[0]?.message).toContain('is CANCELLED');
  });

  it('times out an order still PENDING past the saga deadline when the sweeper runs, and only that one', async () => {
    const longAgo = new Date(Date.now() - SAGA_DEADLINE_MS - 1_000);
    const stale = await insertPendingOrder('carol', longAgo);
    const fresh = await placed([{ productId: MUG.productId, quantity: 1 }], 'carol');

    expect(await orders.subgraph.sweeper.sweep()).toBe(1);
    expect(await statusOf(stale.id)).toEqual({ status: 'CANCELLED', cancellationReason: 'TIMED_OUT' });
    expect(await emittedTypes(stale.id)).toEqual([{ type: 'OrderCancelled', data: { orderId: stale.id, reason: 'TIMED_OUT' } }]);
    expect(await statusOf(fresh.id)).toEqual({ status: 'PENDING', cancellationReason: null });
    expect(await orders.subgraph.sweeper.sweep()).toBe(0);
  });

  it('times out each stale order once when replicas sweep at the same moment (orders claimed with SKIP LOCKED, only PENDING moves)', async () => {
    const longAgo = new Date(Date.now() - SAGA_DEADLINE_MS - 1_000);
    // More than two of the sweeper's batches of 100, so the sweeps overlap batch after batch.
    const stale = await Promise.all(
      Array.from({ length: 250 }, () =>
        insertPendingOrder('dave', longAgo),
      ),
    );
    // Two replicas' sweeps are two connections claiming from one database: here, on the subgraph's pool (on Postgres).
    const swept = await Promise.all([orders.subgraph.sweeper.sweep(), orders.subgraph.sweeper.sweep(), orders.subgraph.sweeper.sweep()]);
    expect(swept.reduce((sum, count) => sum + count, 0)).toBe(stale.length);
    const cancellations = (await orders.emitted()).filter((event) => event.type === 'OrderCancelled' && stale.some((order) => order.id === event.aggregateId));
    expect(cancellations.length).toBe(stale.length);
    expect(new Set(cancellations.map((event) => event.aggregateId)).size).toBe(stale.length);
  });
});
