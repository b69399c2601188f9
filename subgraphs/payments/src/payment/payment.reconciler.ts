import { runPeriodically, type Logger } from '@shop/server';
import { abandonPendingPayment, UNSEEN_CHARGE_REASONS, type PaymentSagaDeps } from './payment.events.js';
import { findPaymentsToReconcile } from './payment.repository.js';

export interface PaymentReconciler {
  /** Runs one pass now; resolves with the number of payments it looked at. */
  reconcile(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The safety net under the event handlers: money owed back must not depend
 * on an event still being delivered. Periodically finds payments of cancelled
 * orders that still hold a charge (or might, after unanswered attempts) or sit
 * PENDING, and settles them the way the handlers would. A payment the
 * provider cannot be reached for stays a candidate for the next pass.
 */
export function startPaymentReconciler(
  deps: PaymentSagaDeps & { logger: Logger },
  options: { intervalMs: number; stalePendingMs: number },
): PaymentReconciler {
  async function reconcile(): Promise<number> {
    const candidates = await findPaymentsToReconcile(deps.db, {
      unseenChargeReasons: UNSEEN_CHARGE_REASONS,
      staleBefore: new Date(Date.now() - options.stalePendingMs),
      limit: 50,
    });
    for (const payment of candidates) {
      try {
        await abandonPendingPayment(deps, payment.order_id);
      } catch (error) {
        deps.logger.warn({ err: error, orderId: payment.order_id }, 'could not reconcile the payment of a cancelled order; will retry');
      }
    }
    return candidates.length;
  }

  const periodic = runPeriodically(() => reconcile(), { intervalMs: options.intervalMs, logger: deps.logger, name: 'payment reconciliation' });
  return { reconcile, stop: () => periodic.stop() };
}
