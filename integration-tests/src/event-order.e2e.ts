import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type Delivery, type DomainEventOf, type EventData, type EventType } from '@shop/events';
import { createOutbox, type EventHandlers } from '@shop/outbox';
import { createPaymentService, paymentEventHandlers } from '@shop/payments';
import { stockEventHandlers } from '@shop/products';
import { createLogger } from '@shop/observability';
import { createOrderableProducts, providerCharges, startTestSupergraph, type TestSupergraph } from '@shop/testing';

/**
 * Events of one order can reach a consumer in any order and any number of
 * times (redelivery after a crash, a relay that published a newer row while
 * an older one's lease ran). Each pair of one order's saga events a service
 * consumes is delivered here straight to that service's handlers, in order
 * once, and reversed twice; the end states must be the same.
 */
let test: TestSupergraph;

beforeAll(async () => {
  test = await startTestSupergraph();
});
afterAll(() => test?.stop());

function event<T extends EventType>(type: T, orderId: string, data: EventData<T>): DomainEventOf<T> {
  return createEvent(type, orderId, data).envelope as DomainEventOf<T>;
}

async function deliver(handlers: EventHandlers, events: readonly DomainEventOf<EventType>[]): Promise<void> {
  const delivery: Delivery = { subject: 'test', data: new Uint8Array(), deliveryCount: 1 };
  for (const domainEvent of events) {
    const handler = handlers[domainEvent.type] as ((event: unknown, delivery: Delivery) => Promise<void>) | undefined;
    if (!handler) throw new Error(`no handler for ${domainEvent.type}`);
    await handler(domainEvent, delivery);
  }
}

/** The pair in order, once; then reversed, each event twice. */
const DELIVERIES = {
  'in order': <E>(pair: readonly [E, E]) => [pair[0], pair[1]],
  'reversed, twice': <E>(pair: readonly [E, E]) => [pair[1], pair[0], pair[1], pair[0]],
} as const;

describe('products: one order’s events in any order', () => {
  async function endState(pairOf: (orderId: string, productId: string) => readonly [DomainEventOf<EventType>, DomainEventOf<EventType>], deliveries: keyof typeof DELIVERIES) {
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const orderId = randomUUID();
    const { db } = test.supergraph.products!.database;
    await deliver(stockEventHandlers(db, createOutbox(db, () => undefined)), DELIVERIES[deliveries](pairOf(orderId, product!.id)));
    const stock = await db.selectFrom('products').select(['stock_available', 'stock_reserved', 'stock_sold']).where('id', '=', product!.id).executeTakeFirstOrThrow();
    const reservations = await db.selectFrom('stock_reservations').select(['quantity', 'status']).where('order_id', '=', orderId).execute();
    const emitted = await db.selectFrom('outbox').select('envelope').execute();
    const stockReserved = emitted.filter(({ envelope }) => {
      const parsed = typeof envelope === 'string' ? (JSON.parse(envelope) as typeof envelope) : envelope;
      return parsed.type === 'StockReserved' && parsed.aggregateId === orderId;
    }).length;
    return { stock, reservations, stockReserved };
  }

  const placed = (orderId: string, productId: string) =>
    event('OrderPlaced', orderId, {
      orderId,
      customerId: 'alice',
      items: [{ productId, quantity: 2, unitPrice: { amount: 500, currency: 'EUR' } }],
      total: { amount: 1000, currency: 'EUR' },
      paymentToken: 'tok_visa',
    });

  it('OrderPlaced and OrderCancelled: nothing held either way; reversed, no payment is asked for', async () => {
    const pair = (orderId: string, productId: string) => [placed(orderId, productId), event('OrderCancelled', orderId, { orderId, reason: 'CUSTOMER_CANCELLED' })] as const;
    const inOrder = await endState(pair, 'in order');
    const reversed = await endState(pair, 'reversed, twice');
    expect(inOrder.stock).toEqual({ stock_available: 5, stock_reserved: 0, stock_sold: 0 });
    expect(reversed.stock).toEqual(inOrder.stock);
    expect(reversed.reservations).toEqual(inOrder.reservations);
    expect(reversed.reservations).toEqual([{ quantity: 2, status: 'RELEASED' }]);
    // In order the reservation was announced before the cancellation; reversed, a cancelled order never reaches payments.
    expect(inOrder.stockReserved).toBe(1);
    expect(reversed.stockReserved).toBe(0);
  });

  it('OrderPlaced and OrderConfirmed: the units end sold either way', async () => {
    const pair = (orderId: string, productId: string) => [placed(orderId, productId), event('OrderConfirmed', orderId, { orderId })] as const;
    const inOrder = await endState(pair, 'in order');
    const reversed = await endState(pair, 'reversed, twice');
    expect(inOrder.stock).toEqual({ stock_available: 3, stock_reserved: 0, stock_sold: 2 });
    expect(reversed).toEqual(inOrder);
  });
});

describe('products: an OrderPlaced the stock cannot cover, delivered again', () => {
  it('is rejected once: its lines stay REJECTED and a redelivery after a restock reserves nothing', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 1 });
    const orderId = randomUUID();
    const { db } = test.supergraph.products!.database;
    const handlers = stockEventHandlers(db, createOutbox(db, () => undefined));
    const placed = event('OrderPlaced', orderId, {
      orderId,
      customerId: 'alice',
      items: [{ productId: product!.id, quantity: 2, unitPrice: { amount: 500, currency: 'EUR' } }],
      total: { amount: 1000, currency: 'EUR' },
      paymentToken: 'tok_visa',
    });
    await deliver(handlers, [placed]);
    // Restocked before the redelivery: the order was already refused, and stays so.
    await db.updateTable('products').set((eb) => ({ stock_available: eb('stock_available', '+', 5), stock_received: eb('stock_received', '+', 5) })).where('id', '=', product!.id).execute();
    await deliver(handlers, [placed, placed]);

    const stock = await db.selectFrom('products').select(['stock_available', 'stock_reserved']).where('id', '=', product!.id).executeTakeFirstOrThrow();
    expect(stock).toEqual({ stock_available: 6, stock_reserved: 0 });
    const reservations = await db.selectFrom('stock_reservations').select(['quantity', 'status']).where('order_id', '=', orderId).execute();
    expect(reservations).toEqual([{ quantity: 2, status: 'REJECTED' }]);
    const announced = (await db.selectFrom('outbox').select('envelope').execute())
      .map(({ envelope }) => (typeof envelope === 'string' ? (JSON.parse(envelope) as typeof envelope) : envelope))
      .filter((envelope) => envelope.aggregateId === orderId)
      .map((envelope) => envelope.type);
    expect(announced).toEqual(['StockRejected']);
  });
});

describe('payments: one order’s events in any order', () => {
  async function endState(deliveries: keyof typeof DELIVERIES) {
    const payments = test.supergraph.payments!;
    const { db } = payments.database;
    const service = createPaymentService({
      db,
      outbox: createOutbox(db, () => undefined),
      provider: payments.provider,
      logger: createLogger('event-order-test'),
      attemptLeaseMs: 10_000,
      maxRetryDelayMs: 500,
      pendingBoundMs: 120_000,
    });
    const orderId = randomUUID();
    const pair: readonly [DomainEventOf<EventType>, DomainEventOf<EventType>] = [
      event('StockReserved', orderId, { orderId, customerId: 'alice', amount: { amount: 1000, currency: 'EUR' }, paymentToken: 'tok_visa' }),
      event('OrderCancelled', orderId, { orderId, reason: 'CUSTOMER_CANCELLED' }),
    ];
    await deliver(paymentEventHandlers(service), DELIVERIES[deliveries](pair));
    const payment = await db.selectFrom('payments').select(['status']).where('order_id', '=', orderId).executeTakeFirst();
    const charges = (await providerCharges(test)).filter((charge) => charge.reference === orderId).map((charge) => charge.status);
    return { payment, charges };
  }

  it('StockReserved and OrderCancelled: no charge is kept either way; reversed, none is made', async () => {
    const inOrder = await endState('in order');
    expect(inOrder.payment?.status).toBe('REFUNDED');
    expect(inOrder.charges).toEqual(['refunded']);
    const reversed = await endState('reversed, twice');
    expect(reversed.payment).toBeUndefined();
    expect(reversed.charges).toEqual([]);
  });
});
