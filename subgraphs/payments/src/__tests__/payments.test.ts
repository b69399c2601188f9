import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '@shop/events';
import { waitFor } from '@shop/events/testing';
import { createLogger } from '@shop/observability';
import { startPaymentProvider, TEST_TOKENS, type RunningPaymentProvider } from '@shop/payment-provider';
import { customer, startSubgraphUnderTest, type SubgraphUnderTest } from '@shop/subgraph-kit/testing';
import { startPaymentsSubgraph, type PaymentsSubgraph } from '../index.js';

let provider: RunningPaymentProvider;
let payments: SubgraphUnderTest<PaymentsSubgraph>;

beforeAll(async () => {
  provider = await startPaymentProvider({ port: 0, logger: createLogger('provider-test', 'silent') });
  // Warnings are expected here: the provider is made unreachable on purpose.
  const logger = createLogger('payments-test', process.env['LOG_LEVEL'] ?? 'error');
  payments = await startSubgraphUnderTest(
    (options) =>
      startPaymentsSubgraph({
      ...options,
      paymentProviderUrl: provider.url,
      paymentProvider: { timeoutMs: 1_500, maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 50, breaker: { halfOpenAfterMs: 200, consecutiveFailures: 50 } },
      sagaDeadlineMs: 60_000,
      // The worker's timer never fires during the tests: they run it when they mean to.
      paymentWork: { intervalMs: 3_600_000, attemptLeaseMs: 12_000, maxRetryDelayMs: 200 },
    }),
    { logger },
  );
});
afterEach(() => provider.clearFaults());
afterAll(async () => {
  await payments?.stop();
  await provider?.stop();
});

const AMOUNT = { amount: 4_200, currency: 'EUR' };

function stockReserved(orderId: string, paymentToken: string = TEST_TOKENS.visa) {
  return createEvent('StockReserved', orderId, { orderId, customerId: 'alice', amount: AMOUNT, paymentToken });
}
const orderCancelled = (orderId: string) => createEvent('OrderCancelled', orderId, { orderId, reason: 'TIMED_OUT' });

const paymentOf = (orderId: string) =>
  payments.subgraph.database.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
const chargesOf = (orderId: string) => provider.charges().filter((charge) => charge.reference === orderId).map((charge) => charge.status);
const announced = async (orderId: string) => (await payments.emitted(orderId)).map(({ type, data }) => ({ type, data }));

/** Runs the worker until the payment of the order has left PENDING. */
const settledByWorker = (orderId: string) =>
  waitFor(`the payment of order ${orderId} to settle`, async () => {
    await payments.subgraph.worker.runOnce();
    const payment = await paymentOf(orderId);
    return payment?.status !== 'PENDING' && payment;
  });

describe('settling a payment', () => {
  it('charges a reserved order once and announces PaymentSucceeded; a redelivered StockReserved changes nothing', async () => {
    const orderId = randomUUID();
    await payments.deliver(stockReserved(orderId));
    await payments.deliver(stockReserved(orderId));
    const payment = await paymentOf(orderId);
    expect(payment).toMatchObject({ status: 'SUCCEEDED', amount: 4_200, currency: 'EUR', failure_reason: null, attempts: 1 });
    expect(payment!.charge_id).toEqual(expect.any(String));
    expect(chargesOf(orderId)).toEqual(['succeeded']);
    expect(await announced(orderId)).toEqual([{ type: 'PaymentSucceeded', data: { orderId, paymentId: payment!.id, amount: AMOUNT } }]);
  });

  it.each([
    [TEST_TOKENS.chargeDeclined, 'card_declined'],
    [TEST_TOKENS.insufficientFunds, 'insufficient_funds'],
  ])('fails the payment the card %s declines (%s) and announces PaymentFailed', async (token, code) => {
    const orderId = randomUUID();
    await payments.deliver(stockReserved(orderId, token));
    const payment = await paymentOf(orderId);
    expect(payment).toMatchObject({ status: 'FAILED', failure_reason: code, charge_id: null });
    expect(chargesOf(orderId)).toEqual([]);
    expect(await announced(orderId)).toEqual([{ type: 'PaymentFailed', data: { orderId, paymentId: payment!.id, failureReason: code } }]);
  });

  it('refunds the charge of an order cancelled after it was paid and announces PaymentRefunded, once', async () => {
    const orderId = randomUUID();
    await payments.deliver(stockReserved(orderId));
    await payments.deliver(orderCancelled(orderId));
    await payments.deliver(orderCancelled(orderId));
    const payment = await paymentOf(orderId);
    expect(payment?.status).toBe('REFUNDED');
    expect(chargesOf(orderId)).toEqual(['refunded']);
    expect((await announced(orderId)).map(({ type }) => type)).toEqual(['PaymentSucceeded', 'PaymentRefunded']);
    expect((await announced(orderId))[1]).toEqual({ type: 'PaymentRefunded', data: { orderId, paymentId: payment!.id, amount: AMOUNT } });
  });

  it('charges nothing for an order cancelled before its stock was reserved', async () => {
    const orderId = randomUUID();
    await payments.deliver(orderCancelled(orderId));
    await payments.deliver(stockReserved(orderId));
    expect(await paymentOf(orderId)).toBeUndefined();
    expect(chargesOf(orderId)).toEqual([]);
    expect(await announced(orderId)).toEqual([]);
  });

  it('keeps a payment PENDING while the provider gives no answer, and the worker charges it once the provider is back', async () => {
    const orderId = randomUUID();
    provider.setFaults({ down: true });
    await payments.deliver(stockReserved(orderId));
    expect(await paymentOf(orderId)).toMatchObject({ status: 'PENDING', attempts: 2, next_attempt_at: expect.any(Date) });
    expect(await announced(orderId)).toEqual([]);

    provider.clearFaults();
    const settled = await settledByWorker(orderId);
    expect(settled).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    expect(chargesOf(orderId)).toEqual(['succeeded']);
    expect((await announced(orderId)).map(({ type }) => type)).toEqual(['PaymentSucceeded']);
  });

  it('settles a PENDING payment of a cancelled order as FAILED (order_cancelled) when the provider holds no charge of it', async () => {
    const orderId = randomUUID();
    provider.setFaults({ down: true });
    await payments.deliver(stockReserved(orderId));
    provider.clearFaults();
    // Settled by the handler if the retry is already due, else by the worker.
    await payments.deliver(orderCancelled(orderId));
    const settled = await settledByWorker(orderId);
    expect(settled).toMatchObject({ status: 'FAILED', failure_reason: 'order_cancelled', reconciled_at: expect.any(Date) });
    expect(chargesOf(orderId)).toEqual([]);
    expect(await announced(orderId)).toEqual([{ type: 'PaymentFailed', data: { orderId, paymentId: settled.id, failureReason: 'order_cancelled' } }]);
  });
});

describe('reading payments', () => {
  it('shows a payment to its customer only, directly and as Order.payment', async () => {
    const orderId = randomUUID();
    await payments.deliver(stockReserved(orderId));
    const { id } = (await paymentOf(orderId))!;
    const PAYMENT = 'query($id: ID!) { payment(id: $id) { id status amount { amount currency } order { id } } }';
    expect((await payments.request(PAYMENT, { id }, customer('alice'))).data).toEqual({
      payment: { id, status: 'SUCCEEDED', amount: AMOUNT, order: { id: orderId } },
    });
    expect((await payments.request(PAYMENT, { id }, customer('mallory'))).data).toEqual({ payment: null });

    const ENTITIES = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id payment { id status } } } }';
    const representations = [{ __typename: 'Order', id: orderId }, { __typename: 'Order', id: randomUUID() }];
    expect((await payments.request(ENTITIES, { representations }, customer('alice'))).data).toEqual({
      _entities: [
        { id: orderId, payment: { id, status: 'SUCCEEDED' } },
        { id: representations[1]!.id, payment: null },
      ],
    });
    expect((await payments.request(ENTITIES, { representations }, customer('mallory'))).data).toEqual({
      _entities: [
        { id: orderId, payment: null },
        { id: representations[1]!.id, payment: null },
      ],
    });
  });
});
