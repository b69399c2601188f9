import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createEvent, type EventData, type OutgoingEvent } from '@shop/events';
import type { Outbox } from '@shop/outbox';
import { PaymentProviderRequestError, PaymentProviderUnavailableError, type ChargeResult, type PaymentProviderClient } from '@shop/payment-provider';
import type { Logger } from '@shop/observability';
import type { PaymentStatus } from './payment.model.js';
import * as repository from './payment.repository.js';
import type { PaymentRow, PaymentsDatabase } from './payment.table.js';

/** Failure reason of a payment abandoned because its order was cancelled before a charge was kept. */
export const ORDER_CANCELLED = 'order_cancelled';
/** Failure reason of a payment the provider refused as a request (not a card decline); retrying cannot help. */
export const PROVIDER_REJECTED = 'provider_rejected';
/**
 * Failure reasons after which a charge may have landed unseen. Only payments
 * settled by earlier versions carry `provider_unavailable`: an unanswered
 * attempt now leaves the payment PENDING and is retried.
 */
export const UNSEEN_CHARGE_REASONS = ['provider_unavailable', ORDER_CANCELLED] as const;
const UNSEEN_CHARGE_POSSIBLE: ReadonlySet<string> = new Set(UNSEEN_CHARGE_REASONS);

/** How a payment settles: what the provider answered, or what a cancelled order's payment came to. */
type Settlement =
  | { status: 'SUCCEEDED'; chargeId: string; attempts: number }
  | { status: 'FAILED'; failureReason: string; attempts?: number; reconciled?: boolean }
  | { status: 'REFUNDED'; chargeId?: string; attempts?: number; reconciled?: boolean };

export interface PaymentServiceOptions {
  db: Kysely<PaymentsDatabase>;
  outbox: Outbox<PaymentsDatabase>;
  provider: PaymentProviderClient;
  logger: Logger;
  /**
   * How long one charge attempt holds its payment: longer than the provider
   * client can take with all its retries, so a live attempt is never taken
   * over; a crashed one is taken over this long after it began.
   */
  attemptLeaseMs: number;
  /** Longest wait between two attempts while the provider gives no answer. */
  maxRetryDelayMs: number;
  /**
   * A payment still PENDING this long after it was created belongs to an
   * order the saga deadline has cancelled (no payment outcome, no
   * confirmation): it is settled as cancelled even if OrderCancelled never
   * arrived. Must exceed the saga deadline.
   */
  pendingBoundMs: number;
}

export interface PaymentService {
  /** StockReserved: commits the payment intent, then makes the first attempt. */
  startPayment(data: EventData<'StockReserved'>): Promise<void>;
  /** OrderCancelled: never charge it from now on, and give back whatever it was charged. */
  cancelOrder(orderId: string): Promise<void>;
  /** Attempts every PENDING payment that is due (retries, and attempts whose process died); resolves with how many. */
  processDuePayments(limit?: number): Promise<number>;
  /** Refunds what cancelled orders still hold (a refund that failed before); resolves with how many it looked at. */
  reconcileCancelledOrders(limit?: number): Promise<number>;
}

/**
 * The payments side of the checkout saga. Money moves only after its intent
 * is durable: the payment row, its idempotency key and card token are
 * committed before the provider is called. Each attempt holds the payment
 * for a lease; whatever ends an attempt early (no answer, a crash, a lost
 * connection) leaves the payment PENDING and due again, and the next attempt,
 * here or on another replica, reuses the idempotency key, so the provider
 * charges at most once. Only the card's own answer fails a payment; an
 * unreachable provider is retried until the order is cancelled, and a
 * cancelled order's payment is settled by asking the provider what it charged.
 */
export function createPaymentService(options: PaymentServiceOptions): PaymentService {
  const { db, outbox, provider, logger, attemptLeaseMs, maxRetryDelayMs, pendingBoundMs } = options;
  const leaseFrom = (now: Date) => new Date(now.getTime() + attemptLeaseMs);

  async function startPayment({ orderId, customerId, amount, paymentToken }: EventData<'StockReserved'>): Promise<void> {
    const now = new Date();
    const payment = await repository.insertPaymentIntent(db, {
      id: randomUUID(),
      order_id: orderId,
      customer_id: customerId,
      amount: amount.amount,
      currency: amount.currency,
      status: 'PENDING',
      failure_reason: null,
      idempotency_key: orderId,
      payment_token: paymentToken,
      next_attempt_at: leaseFrom(now),
      created_at: now,
      updated_at: now,
    });
    // Undefined: a redelivery (the payment exists, and the worker owns its next
    // attempt) or an order cancelled before its stock was reserved (never charged).
    if (payment) await attemptCharge(payment);
  }

  /** One attempt at a payment this process holds the lease of. */
  async function attemptCharge(payment: PaymentRow): Promise<void> {
    if (payment.payment_token === null) {
      // Left PENDING by a version that kept no card token: it cannot be charged, only settled.
      await settleCancelled(payment);
      return;
    }
    let result: ChargeResult;
    try {
      result = await provider.charge({
        idempotencyKey: payment.idempotency_key,
        amount: payment.amount,
        currency: payment.currency,
        token: payment.payment_token,
        reference: payment.order_id,
      });
    } catch (error) {
      if (error instanceof PaymentProviderUnavailableError) {
        const now = new Date();
        const retryAt = new Date(now.getTime() + retryDelay(payment.attempts + error.attempts));
        await repository.scheduleRetry(db, payment.id, error.attempts, retryAt, now);
        logger.warn({ orderId: payment.order_id, attempts: payment.attempts + error.attempts, retryAt, reason: error.message }, 'payment provider gave no answer; will retry');
        return;
      }
      if (!(error instanceof PaymentProviderRequestError)) throw error; // unexpected: the lease brings it back
      logger.error({ orderId: payment.order_id, status: error.status, code: error.code, err: error }, 'payment provider refused the charge request');
      result = { outcome: 'declined', code: PROVIDER_REJECTED, attempts: 1 };
    }
    await settleCharge(payment, result);
  }

  /** Full jitter up to an exponential cap: replicas and payments do not retry in step. */
  function retryDelay(attempts: number): number {
    const cap = Math.min(maxRetryDelayMs, 250 * 2 ** Math.min(attempts, 8));
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }

  /**
   * The one way a payment settles, for every step that settles one (a
   * charge's answer, a cancelled order's payment, a refund): moves it from
   * `from` to the settlement and writes the event announcing it
   * (PaymentSucceeded, PaymentFailed or PaymentRefunded) in one statement
   * (`outbox.changeAndEmit`: no transaction round trips). Undefined, and
   * nothing announced, when the payment had left `from` (another attempt
   * settled it).
   */
  async function settle(payment: PaymentRow, from: PaymentStatus, settlement: Settlement): Promise<PaymentRow | undefined> {
    const now = new Date();
    return outbox.changeAndEmit((db) => repository.settlePayment(db, payment.id, from, settlement, now), settledEvent(payment, settlement, now));
  }

  async function settleCharge(payment: PaymentRow, result: ChargeResult): Promise<void> {
    const orderId = payment.order_id;
    const settled = await settle(
      payment,
      'PENDING',
      result.outcome === 'succeeded'
        ? { status: 'SUCCEEDED', chargeId: result.chargeId, attempts: result.attempts }
        : { status: 'FAILED', failureReason: result.code, attempts: result.attempts },
    );
    if (result.outcome !== 'succeeded') return;
    if (!settled) {
      // Someone settled the payment while this attempt ran past its lease. If it was
      // settled without this charge (cancelled, nothing found yet), the charge goes back.
      const current = await repository.findPaymentByOrderId(db, orderId);
      if (current?.charge_id !== result.chargeId) await refundCharge(orderId, result.chargeId, 'a charge that landed after its payment was settled without it');
      return;
    }
    // The order may have been cancelled while the charge was in flight: give the money back.
    if (await repository.isOrderCancelled(db, orderId)) await refundIfCharged(orderId);
  }

  async function cancelOrder(orderId: string): Promise<void> {
    await repository.recordCancelledOrder(db, orderId, new Date());
    const payment = await repository.findPaymentByOrderId(db, orderId);
    if (payment?.status === 'PENDING') {
      const now = new Date();
      // Held by an attempt in flight: it sees the cancellation when it settles, or, if
      // its process died, the worker takes the payment over when the lease ends.
      const claimed = await repository.claimPayment(db, payment.id, { now, leaseUntil: leaseFrom(now) });
      if (claimed) await settleCancelled(claimed);
      return;
    }
    await refundIfCharged(orderId);
  }

  /**
   * Settles a PENDING payment whose order is cancelled, by asking the provider
   * what it charged under the order: an attempt may have charged and died
   * before recording it. Kept charges are refunded (REFUNDED); with none, FAILED.
   */
  async function settleCancelled(payment: PaymentRow): Promise<void> {
    const orderId = payment.order_id;
    const { charges } = await provider.findCharges(orderId);
    const kept = charges.filter((charge) => charge.status === 'succeeded');
    for (const charge of kept) await refundCharge(orderId, charge.id, 'a charge of a cancelled order whose answer was never recorded');
    const chargeId = kept[0]?.id ?? charges[0]?.id ?? null;
    await settle(
      payment,
      'PENDING',
      chargeId ? { status: 'REFUNDED', chargeId, reconciled: true } : { status: 'FAILED', failureReason: ORDER_CANCELLED, reconciled: true },
    );
  }

  async function refundCharge(orderId: string, chargeId: string, what: string): Promise<void> {
    // One refund key per charge: a retry (or another replica) replays the same refund.
    await provider.refund({ idempotencyKey: `refund-${chargeId}`, chargeId });
    logger.warn({ orderId, chargeId }, `refunded ${what}`);
  }

  /**
   * Refunds what a cancelled order was charged, and nothing else; safe to call
   * any number of times.
   */
  async function refundIfCharged(orderId: string): Promise<void> {
    const payment = await repository.findPaymentByOrderId(db, orderId);
    if (payment?.status === 'FAILED' && payment.attempts > 0 && UNSEEN_CHARGE_POSSIBLE.has(payment.failure_reason ?? '') && !payment.reconciled_at) {
      // Settled FAILED by an earlier version after unanswered attempts: a charge may have landed.
      const { charges } = await provider.findCharges(orderId);
      for (const charge of charges.filter((candidate) => candidate.status === 'succeeded')) {
        await refundCharge(orderId, charge.id, 'a charge whose answer was lost');
      }
      await repository.markPaymentReconciled(db, payment.id, new Date());
      return;
    }
    if (payment?.status !== 'SUCCEEDED') return;
    if (!payment.charge_id) throw new Error(`payment ${payment.id} succeeded without a charge id`);
    const refund = await provider.refund({ idempotencyKey: `refund-${payment.charge_id}`, chargeId: payment.charge_id });
    const refunded = await settle(payment, 'SUCCEEDED', { status: 'REFUNDED', attempts: refund.attempts });
    if (refunded) logger.info({ orderId, paymentId: payment.id }, 'refunded the charge of a cancelled order');
  }

  async function processDuePayments(limit = 20): Promise<number> {
    const now = new Date();
    const due = await repository.claimDuePayments(db, { now, leaseUntil: leaseFrom(now), limit });
    const bound = now.getTime() - pendingBoundMs;
    await Promise.all(
      due.map(async ({ order_cancelled: orderCancelled, ...payment }) => {
        try {
          if (orderCancelled || payment.created_at.getTime() < bound) await settleCancelled(payment);
          else await attemptCharge(payment);
        } catch (error) {
          // The lease brings it back; the provider may be away (findCharges, refund).
          logger.warn({ err: error, orderId: payment.order_id }, 'could not process a due payment; will retry');
        }
      }),
    );
    return due.length;
  }

  async function reconcileCancelledOrders(limit = 50): Promise<number> {
    const candidates = await repository.findPaymentsToReconcile(db, { unseenChargeReasons: UNSEEN_CHARGE_REASONS, limit });
    for (const payment of candidates) {
      try {
        await refundIfCharged(payment.order_id);
      } catch (error) {
        logger.warn({ err: error, orderId: payment.order_id }, 'could not refund the payment of a cancelled order; will retry');
      }
    }
    return candidates.length;
  }

  return { startPayment, cancelOrder, processDuePayments, reconcileCancelledOrders };
}

/** The event announcing a settlement. */
function settledEvent(payment: PaymentRow, settlement: Settlement, now: Date): OutgoingEvent {
  const { id: paymentId, order_id: orderId } = payment;
  const amount = { amount: payment.amount, currency: payment.currency };
  switch (settlement.status) {
    case 'SUCCEEDED':
      return createEvent('PaymentSucceeded', orderId, { orderId, paymentId, amount }, now);
    case 'FAILED':
      return createEvent('PaymentFailed', orderId, { orderId, paymentId, failureReason: settlement.failureReason }, now);
    case 'REFUNDED':
      return createEvent('PaymentRefunded', orderId, { orderId, paymentId, amount }, now);
  }
}
