import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createEvent, type DomainEventOf } from '@shop/events';
import { appendToOutbox, applyOnce, type EventHandlers } from '@shop/outbox';
import { PaymentProviderUnavailableError, type PaymentProviderClient } from '@shop/payment-provider';
import type { Logger } from '@shop/server';
import * as repository from './payment.repository.js';
import type { PaymentsDatabase } from './payment.table.js';

const CONSUMER = 'payments-saga';

/** Failure reason of a payment whose charge got no answer from the provider, even after redeliveries. */
export const PROVIDER_UNAVAILABLE = 'provider_unavailable';
/** Failure reason of a payment abandoned because its order was cancelled before a charge got through. */
export const ORDER_CANCELLED = 'order_cancelled';
/** Outcomes after which a charge may still have landed unseen (a call that timed out). */
export const UNSEEN_CHARGE_REASONS = [PROVIDER_UNAVAILABLE, ORDER_CANCELLED] as const;
const UNSEEN_CHARGE_POSSIBLE: ReadonlySet<string> = new Set(UNSEEN_CHARGE_REASONS);

export interface PaymentSagaDeps {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProviderClient;
  notifyOutbox: () => void;
  logger: Logger;
  /** Deliveries of an event before it is dead-lettered: the last one settles instead of failing. */
  maxDeliver: number;
}

/**
 * The payments side of the checkout saga. Charging talks to the provider over
 * HTTP, which cannot share a database transaction, so each step is driven by
 * the payment's state and the provider's idempotency key (the order id): a
 * redelivered event finds the payment settled, or replays the same charge.
 */
export function paymentSagaHandlers(deps: PaymentSagaDeps): EventHandlers {
  return {
    StockReserved: (event, delivery) => chargeReservedOrder(deps, event, delivery.deliveryCount),
    async OrderCancelled(event) {
      const { orderId } = event.data;
      await applyOnce(deps.db, CONSUMER, event.id, (trx) => repository.recordCancelledOrder(trx, orderId, new Date()));
      // Outside the inbox check on purpose: a refund that failed is retried on redelivery.
      await refundIfCharged(deps, orderId);
    },
  };
}

async function chargeReservedOrder(deps: PaymentSagaDeps, event: DomainEventOf<'StockReserved'>, deliveryCount: number): Promise<void> {
  const { db, provider, notifyOutbox } = deps;
  const { orderId, customerId, amount, paymentToken } = event.data;
  // Cancelled (by the customer or the deadline) before we got here: never charge.
  if (await repository.isOrderCancelled(db, orderId)) {
    await abandonPendingPayment(deps, orderId);
    return;
  }

  const now = new Date();
  const payment = await repository.insertPaymentIfMissing(db, {
    id: randomUUID(),
    order_id: orderId,
    customer_id: customerId,
    amount: amount.amount,
    currency: amount.currency,
    status: 'PENDING',
    failure_reason: null,
    created_at: now,
    updated_at: now,
  });
  if (payment.status !== 'PENDING') return; // settled by an earlier delivery; its event is in the outbox

  let result: Awaited<ReturnType<PaymentProviderClient['charge']>>;
  try {
    result = await provider.charge({ idempotencyKey: orderId, amount: amount.amount, currency: amount.currency, token: paymentToken, reference: orderId });
  } catch (error) {
    if (!(error instanceof PaymentProviderUnavailableError)) throw error;
    await repository.addPaymentAttempts(db, payment.id, error.attempts, new Date());
    if (deliveryCount < deps.maxDeliver) throw error; // redelivered with backoff
    // Out of redeliveries: settle as failed rather than leave the payment PENDING
    // forever. A timed-out call may still have charged; the cancellation that
    // follows reconciles with the provider and refunds such a charge.
    deps.logger.warn({ orderId, deliveryCount }, 'payment provider unreachable on every delivery: failing the payment');
    result = { outcome: 'declined', code: PROVIDER_UNAVAILABLE, attempts: 0 };
  }

  await applyOnce(db, CONSUMER, event.id, async (trx) => {
    const settledAt = new Date();
    if (result.outcome === 'succeeded') {
      const settled = await repository.settlePayment(trx, payment.id, 'PENDING', { status: 'SUCCEEDED', chargeId: result.chargeId, attempts: result.attempts }, settledAt);
      if (settled) await appendToOutbox(trx, [createEvent('PaymentSucceeded', orderId, { orderId, paymentId: payment.id, amount }, settledAt)]);
    } else {
      const settled = await repository.settlePayment(trx, payment.id, 'PENDING', { status: 'FAILED', failureReason: result.code, attempts: result.attempts }, settledAt);
      if (settled) await appendToOutbox(trx, [createEvent('PaymentFailed', orderId, { orderId, paymentId: payment.id, failureReason: result.code }, settledAt)]);
    }
  });
  notifyOutbox();
  // The order may have been cancelled while the charge was in flight: give the money back.
  if (await repository.isOrderCancelled(db, orderId)) await refundIfCharged(deps, orderId);
}

/**
 * Refunds what a cancelled order was charged, and nothing else; safe to call
 * any number of times. A payment that never got an answer is reconciled with
 * the provider's record of charges for the order.
 */
async function refundIfCharged(deps: PaymentSagaDeps, orderId: string): Promise<void> {
  const { db, provider, notifyOutbox, logger } = deps;
  const payment = await repository.findPaymentByOrderId(db, orderId);
  if (payment?.status === 'FAILED' && payment.attempts > 0 && UNSEEN_CHARGE_POSSIBLE.has(payment.failure_reason ?? '')) {
    if (payment.reconciled_at) return;
    await refundUnseenCharges(deps, orderId);
    await repository.markPaymentReconciled(db, payment.id, new Date());
    return;
  }
  if (!payment || payment.status !== 'SUCCEEDED') return;
  if (!payment.charge_id) throw new Error(`payment ${payment.id} succeeded without a charge id`);
  const refund = await provider.refund({ idempotencyKey: `refund-${orderId}`, chargeId: payment.charge_id });
  const now = new Date();
  const refunded = await db.transaction().execute(async (trx) => {
    const row = await repository.settlePayment(trx, payment.id, 'SUCCEEDED', { status: 'REFUNDED', attempts: refund.attempts }, now);
    if (row) {
      const amount = { amount: row.amount, currency: row.currency };
      await appendToOutbox(trx, [createEvent('PaymentRefunded', orderId, { orderId, paymentId: row.id, amount }, now)]);
    }
    return row;
  });
  if (refunded) {
    logger.info({ orderId, paymentId: payment.id }, 'refunded the charge of a cancelled order');
    notifyOutbox();
  }
}

/** Refunds charges the provider made for the order although we never saw its answer. */
async function refundUnseenCharges({ provider, logger }: PaymentSagaDeps, orderId: string): Promise<void> {
  const { charges } = await provider.findCharges(orderId);
  for (const charge of charges.filter((candidate) => candidate.status === 'succeeded')) {
    await provider.refund({ idempotencyKey: `refund-${orderId}`, chargeId: charge.id });
    logger.warn({ orderId, chargeId: charge.id }, 'refunded a charge whose answer was lost');
  }
}

/**
 * A payment left PENDING by an earlier delivery that got no answer, whose
 * order is now cancelled: it will never be charged, so it ends FAILED, and
 * any charge the unanswered attempts made is refunded.
 */
export async function abandonPendingPayment(deps: PaymentSagaDeps, orderId: string): Promise<void> {
  const { db, notifyOutbox } = deps;
  const payment = await repository.findPaymentByOrderId(db, orderId);
  if (payment?.status === 'PENDING') {
    const now = new Date();
    await db.transaction().execute(async (trx) => {
      const settled = await repository.settlePayment(trx, payment.id, 'PENDING', { status: 'FAILED', failureReason: ORDER_CANCELLED }, now);
      if (settled) {
        await appendToOutbox(trx, [createEvent('PaymentFailed', orderId, { orderId, paymentId: payment.id, failureReason: ORDER_CANCELLED }, now)]);
      }
    });
    notifyOutbox();
  }
  await refundIfCharged(deps, orderId);
}
