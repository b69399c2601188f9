import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxTables } from '@shop/outbox';
import type { DeadLetter, EventTransport } from '@shop/events';
import { CancelOrderDocument, OrderDocument, PlaceOrderDocument, ProductDocument, type ShopClient } from '@shop/sdk';
import {
  createOrderableProducts,
  providerCharges,
  sagaInvariantViolations,
  scrapeMetrics,
  settle,
  startTestSupergraph,
  waitForOutcome,
  type TestSupergraph,
} from '@shop/testing';

let keyCounter = 0;
const key = () => `failure-${(keyCounter += 1)}`;

async function place(client: ShopClient, productId: string, paymentToken = 'tok_visa', quantity = 1) {
  const { placeOrder } = await client.request(PlaceOrderDocument, { input: { items: [{ productId, quantity }], paymentToken, idempotencyKey: key() } });
  return placeOrder;
}

async function setProviderFaults(test: TestSupergraph, faults: { down?: boolean; latencyMs?: number } | null) {
  await fetch(`${test.supergraph.paymentProvider!.url}/_admin/faults`, {
    method: faults ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults ?? {}),
  });
}

async function unpublishedOutboxRows(test: TestSupergraph, subgraph: 'products' | 'orders' | 'payments'): Promise<number> {
  // Every subgraph database has the outbox table; only its other tables differ.
  const db = test.supergraph[subgraph]!.database.db as unknown as Kysely<OutboxTables>;
  const rows = await db.selectFrom('outbox').select('id').where('published_at', 'is', null).execute();
  return rows.length;
}

describe('duplicate delivery', () => {
  let test: TestSupergraph;
  let published = 0;

  /**
   * Every event is published three times: again with the same message id
   * (the broker's deduplication), and once more with a new message id, as a
   * relay republishing after a crash would: consumers see it twice.
   */
  function duplicating(transport: EventTransport): EventTransport {
    return {
      ...transport,
      kind: transport.kind,
      async publish(subject, envelope, options) {
        published += 1;
        await transport.publish(subject, envelope, options);
        await transport.publish(subject, envelope, options);
        await transport.publish(subject, envelope, { msgId: `${envelope.id}:republished` });
      },
      subscribe: (options) => transport.subscribe(options),
      watch: (filterSubject, listener) => transport.watch(filterSubject, listener),
      isHealthy: () => transport.isHealthy(),
      unprocessed: () => transport.unprocessed(),
      close: () => transport.close(),
    };
  }

  beforeAll(async () => {
    test = await startTestSupergraph({ wrapTransport: duplicating });
  });
  afterAll(() => test?.stop());

  it('changes nothing more: every outcome, stock level and charge is as with single delivery', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const confirmed = await place(alice, product!.id, 'tok_visa', 2);
    const declined = await place(alice, product!.id, 'tok_chargeDeclined', 1);
    const tooMany = await place(alice, product!.id, 'tok_visa', 50);
    const retried = await place(alice, product!.id, 'tok_processingError', 1);
    const outcomes = await Promise.all([confirmed, declined, tooMany, retried].map((order) => waitForOutcome(alice, order.id)));
    expect(outcomes.map((order) => [order.status, order.cancellationReason])).toEqual([
      ['CONFIRMED', null],
      ['CANCELLED', 'PAYMENT_DECLINED'],
      ['CANCELLED', 'OUT_OF_STOCK'],
      ['CONFIRMED', null],
    ]);
    await settle(test);
    expect(published).toBeGreaterThan(10);
    const { product: after } = await test.anonymous.request(ProductDocument, { id: product!.id });
    expect(after?.stock).toBe(2);
    const charges = await providerCharges(test);
    expect(charges.filter((charge) => charge.reference === confirmed.id)).toHaveLength(1);
    expect(charges.filter((charge) => charge.reference === retried.id)).toHaveLength(1);
    expect(await sagaInvariantViolations(test)).toEqual([]);
  });
});

describe('crash between commit and publish', () => {
  let test: TestSupergraph;
  beforeAll(async () => {
    test = await startTestSupergraph();
  });
  afterAll(() => test?.stop());

  it('publishes the committed event once the relay is back, and the saga finishes', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 3 });
    // The orders relay dies: placeOrder commits the order and its event, nothing is published.
    await test.supergraph.orders!.messaging.stopRelay();
    const order = await place(alice, product!.id);
    expect(await unpublishedOutboxRows(test, 'orders')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await alice.request(OrderDocument, { id: order.id })).order?.status).toBe('PENDING');
    expect((await test.anonymous.request(ProductDocument, { id: product!.id })).product?.stock).toBe(3);

    test.supergraph.orders!.messaging.startRelay();
    expect((await waitForOutcome(alice, order.id)).status).toBe('CONFIRMED');
    await settle(test);
    expect(await unpublishedOutboxRows(test, 'orders')).toBe(0);
    expect(await sagaInvariantViolations(test)).toEqual([]);
  });
});

describe('cancellation between delivery attempts', () => {
  let test: TestSupergraph;
  beforeAll(async () => {
    test = await startTestSupergraph();
  });
  afterAll(() => test?.stop());

  it('abandons a payment whose order is cancelled between two delivery attempts, charging nothing', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 4 });
    await setProviderFaults(test, { down: true });
    const order = await place(alice, product!.id);
    // The first delivery tried to charge and got no answer; the order is cancelled before the next one.
    await expect.poll(() => paymentOf(test, order.id).then((payment) => payment?.attempts ?? 0), { timeout: 10_000 }).toBeGreaterThan(0);
    await alice.request(CancelOrderDocument, { id: order.id });
    // The next delivery finds the order cancelled and abandons the payment (the provider is still down).
    await expect.poll(() => paymentOf(test, order.id), { timeout: 10_000 }).toMatchObject({ status: 'FAILED', failure_reason: 'order_cancelled' });
    await setProviderFaults(test, null);
    await settle(test, 20_000);
    expect(await paymentOf(test, order.id)).toMatchObject({ status: 'FAILED', failure_reason: 'order_cancelled' });
    expect((await providerCharges(test)).filter((charge) => charge.reference === order.id)).toEqual([]);
    expect(await sagaInvariantViolations(test)).toEqual([]);
  });
});

// Its own supergraph: the tests above leave the payments client's circuit breaker open, as they should.
describe('a charge whose answer is lost', () => {
  const deadlineMs = 1_500;
  let test: TestSupergraph;
  beforeAll(async () => {
    test = await startTestSupergraph({ config: { saga: { deadlineMs, sweepIntervalMs: 100 } } });
  });
  afterAll(() => test?.stop());

  it('refunds a charge that lands after the deadline cancelled its order', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 4 });
    // Slower than the client's timeout: the provider charges, the answer never arrives in time.
    await setProviderFaults(test, { latencyMs: 2_500 });
    const order = await place(alice, product!.id);
    expect((await waitForOutcome(alice, order.id, 15_000)).cancellationReason).toBe('TIMED_OUT');
    await expect.poll(async () => (await providerCharges(test)).filter((charge) => charge.reference === order.id).length, { timeout: 10_000 }).toBe(1);
    await setProviderFaults(test, null);
    await settle(test, 20_000, { deadlineMs });
    expect((await providerCharges(test)).filter((charge) => charge.reference === order.id).map((charge) => charge.status)).toEqual(['refunded']);
    expect((await test.anonymous.request(ProductDocument, { id: product!.id })).product?.stock).toBe(4);
    expect(await sagaInvariantViolations(test, { deadlineMs })).toEqual([]);
  }, 40_000);
});

async function paymentOf(test: TestSupergraph, orderId: string) {
  return test.supergraph.payments!.database.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

/** The aggregate (order) id inside a dead letter's original envelope, if it has one. */
function aggregateOf(letter: DeadLetter): unknown {
  try {
    return (JSON.parse(Buffer.from(letter.data, 'base64').toString('utf8')) as { aggregateId?: unknown }).aggregateId;
  } catch {
    return undefined;
  }
}

describe('saga deadline and dead letters', () => {
  const deadlineMs = 1_500;
  let test: TestSupergraph;
  const deadLetters: DeadLetter[] = [];
  /** Orders whose OrderPlaced the products consumer fails to apply, as a bug would. */
  const poisoned = new Set<string>();

  function failingForPoisonedOrders(transport: EventTransport): EventTransport {
    return {
      kind: transport.kind,
      publish: (subject, envelope, options) => transport.publish(subject, envelope, options),
      subscribe: (options) =>
        transport.subscribe(
          options.durable !== 'products-from-orders'
            ? options
            : {
                ...options,
                async handle(delivery) {
                  const text = new TextDecoder().decode(delivery.data);
                  if ([...poisoned].some((orderId) => text.includes(orderId))) throw new Error('simulated bug in the reservation handler');
                  await options.handle(delivery);
                },
              },
        ),
      watch: (filterSubject, listener) => transport.watch(filterSubject, listener),
      isHealthy: () => transport.isHealthy(),
      unprocessed: () => transport.unprocessed(),
      close: () => transport.close(),
    };
  }

  beforeAll(async () => {
    test = await startTestSupergraph({ config: { saga: { deadlineMs, sweepIntervalMs: 100 } }, wrapTransport: failingForPoisonedOrders });
    await test.supergraph.transport.subscribe({
      durable: 'test-dead-letter-observer',
      stream: 'DEAD_LETTERS',
      filterSubject: 'dlq.>',
      handle: async (delivery) => {
        deadLetters.push(JSON.parse(new TextDecoder().decode(delivery.data)) as DeadLetter);
      },
    });
  });
  afterEach(() => setProviderFaults(test, null));
  afterAll(() => test?.stop());

  it('cancels an order still PENDING past the deadline (TIMED_OUT) and compensates it', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 4 });
    // The saga stalls: nothing the orders subgraph writes is published for a while.
    await test.supergraph.orders!.messaging.stopRelay();
    const order = await place(alice, product!.id, 'tok_visa', 3);
    const outcome = await waitForOutcome(alice, order.id, 15_000);
    expect(outcome).toMatchObject({ status: 'CANCELLED', cancellationReason: 'TIMED_OUT' });
    // When events flow again, OrderPlaced and then OrderCancelled go out: whatever was reserved or charged is given back.
    test.supergraph.orders!.messaging.startRelay();
    await settle(test, 30_000, { deadlineMs });
    expect((await test.anonymous.request(ProductDocument, { id: product!.id })).product?.stock).toBe(4);
    expect((await providerCharges(test)).filter((charge) => charge.reference === order.id && charge.status === 'succeeded')).toEqual([]);
    expect(await sagaInvariantViolations(test, { deadlineMs })).toEqual([]);
  });

  it('dead-letters an event that keeps failing after the bounded redeliveries, and later events still flow', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 4 });
    // Mark the order before its OrderPlaced can be delivered.
    await test.supergraph.orders!.messaging.stopRelay();
    const stuck = await place(alice, product!.id);
    poisoned.add(stuck.id);
    test.supergraph.orders!.messaging.startRelay();
    // Its OrderPlaced (its OrderCancelled, once the deadline passes, fails the same way and may come first).
    const letterFor = () => deadLetters.find((entry) => entry.durable === 'products-from-orders' && entry.subject === 'orders.order-placed' && aggregateOf(entry) === stuck.id);
    await expect.poll(letterFor, { timeout: 15_000 }).toBeDefined();
    expect(letterFor()).toMatchObject({ subject: 'orders.order-placed', deliveryCount: 5 });
    expect(letterFor()?.reason).toMatch(/simulated bug/);
    // One count per dead letter of the stuck order (its OrderCancelled may be one too, once the deadline passed).
    const lettersOfStuck = () => deadLetters.filter((entry) => entry.durable === 'products-from-orders' && aggregateOf(entry) === stuck.id && entry.deliveryCount === 5).length;
    await expect
      .poll(async () => (await scrapeMetrics(test.supergraph.products!.origin)).value('shop_events_dead_lettered_total', { durable: 'products-from-orders', reason: 'max_deliveries' }) === lettersOfStuck(), { timeout: 5_000 })
      .toBe(true);
    // Later events flow; the stuck order is ended by the deadline.
    const next = await place(alice, product!.id);
    expect((await waitForOutcome(alice, next.id)).status).toBe('CONFIRMED');
    expect((await waitForOutcome(alice, stuck.id, 15_000)).cancellationReason).toBe('TIMED_OUT');
    await settle(test, 30_000, { deadlineMs });
    expect(await sagaInvariantViolations(test, { deadlineMs })).toEqual([]);
  });

  it('dead-letters a malformed event at once, without blocking the subject', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 4 });
    // On the one orders subject both products and payments consume.
    const garbage = { id: 'not-a-uuid', type: 'OrderCancelled', version: 1, data: { orderId: 42 } };
    await test.supergraph.transport.publish('orders.order-cancelled', garbage as never, { msgId: `garbage-${Date.now()}` });
    await expect
      .poll(() => deadLetters.filter((letter) => letter.subject === 'orders.order-cancelled' && letter.deliveryCount === 1).map((l) => l.durable).sort(), {
        timeout: 10_000,
      })
      .toEqual(['payments-from-orders', 'products-from-orders']);
    for (const [service, durable] of [['products', 'products-from-orders'], ['payments', 'payments-from-orders']] as const) {
      const metrics = await scrapeMetrics(test.supergraph[service]!.origin);
      expect(metrics.value('shop_events_dead_lettered_total', { durable, reason: 'poison' })).toBe(1);
    }
    const order = await place(alice, product!.id);
    expect((await waitForOutcome(alice, order.id)).status).toBe('CONFIRMED');
  });

  // Last: it leaves the payments client's circuit breaker open, as it should.
  it('never declines a card because the provider is unreachable: the deadline cancels the order and no charge is kept', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 4 });
    await setProviderFaults(test, { down: true });
    const order = await place(alice, product!.id);
    // Only the card's answer may decline; an outage leaves the payment PENDING (retried) until the deadline.
    const outcome = await waitForOutcome(alice, order.id, 15_000);
    expect(outcome).toMatchObject({ status: 'CANCELLED', cancellationReason: 'TIMED_OUT' });
    // The provider comes back once payments knows of the cancellation: the next attempt
    // finds it and charges nothing (unless a retry was already under way: then it charges,
    // sees the cancellation and refunds).
    await expect
      .poll(() => test.supergraph.payments!.database.db.selectFrom('cancelled_orders').select('order_id').where('order_id', '=', order.id).executeTakeFirst(), { timeout: 10_000 })
      .toBeDefined();
    await setProviderFaults(test, null);
    await settle(test, 30_000, { deadlineMs });
    const { order: after } = await alice.request(OrderDocument, { id: order.id });
    expect(after?.payment?.attempts).toBeGreaterThanOrEqual(1);
    const charges = (await providerCharges(test)).filter((charge) => charge.reference === order.id);
    if (after?.payment?.status === 'REFUNDED') {
      // A retry already under way when the provider came back charged; the cancellation gave it back.
      expect(charges.map((charge) => charge.status)).toEqual(['refunded']);
    } else {
      expect(after?.payment).toMatchObject({ status: 'FAILED', failureReason: 'order_cancelled' });
      expect(charges).toEqual([]);
    }
    const payments = await scrapeMetrics(test.supergraph.payments!.origin);
    expect(payments.value('shop_payment_provider_calls_total', { operation: 'charge', outcome: 'error' })).toBeGreaterThanOrEqual(1);
    expect((await test.anonymous.request(ProductDocument, { id: product!.id })).product?.stock).toBe(4);
    expect(await sagaInvariantViolations(test, { deadlineMs })).toEqual([]);
  });
});

// Its own supergraph with the default (60 s) deadline: an outage shorter than it only delays.
describe('a provider outage shorter than the saga deadline', () => {
  let test: TestSupergraph;
  beforeAll(async () => {
    test = await startTestSupergraph();
  });
  afterAll(() => test?.stop());

  it('confirms every tok_visa order placed while the provider is down for 6 s, each with one charge', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 20 });
    await setProviderFaults(test, { down: true });
    const orders = await Promise.all(Array.from({ length: 8 }, () => place(alice, product!.id)));
    // Every payment got at least one unanswered attempt before the provider is back.
    await expect
      .poll(async () => Promise.all(orders.map((order) => paymentOf(test, order.id).then((payment) => payment?.attempts ?? 0))), { timeout: 10_000 })
      .toSatisfy((attempts: number[]) => attempts.every((count) => count > 0));
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await setProviderFaults(test, null);
    const outcomes = await Promise.all(orders.map((order) => waitForOutcome(alice, order.id, 30_000)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(orders.map(() => 'CONFIRMED'));
    await settle(test, 30_000);
    const charges = await providerCharges(test);
    for (const order of orders) expect(charges.filter((charge) => charge.reference === order.id && charge.status === 'succeeded')).toHaveLength(1);
    expect(await sagaInvariantViolations(test)).toEqual([]);
  }, 60_000);
});
