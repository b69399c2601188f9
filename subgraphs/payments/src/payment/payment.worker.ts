import type { Logger } from '@shop/observability';
import { runPeriodically } from '@shop/runtime';
import type { SubgraphWiring } from '@shop/subgraph-kit';
import type { PaymentService } from './payment.service.js';

export interface PaymentWorker {
  /** Runs one pass now: due payments, then refunds owed; resolves with the number of payments it looked at. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** Refunds owed by cancelled orders are looked for this often at most: a refund is normally done by the OrderCancelled handler. */
const RECONCILE_EVERY_MS = 5_000;

/**
 * Drives every payment to its end without depending on an event being
 * delivered again: it takes over PENDING payments whose next attempt is due
 * (a retry after the provider gave no answer, or an attempt whose process
 * died and whose lease ran out) and refunds what cancelled orders still hold.
 *
 * Due payments are shared by every replica: each claims its own with SKIP
 * LOCKED. The refunds owed are looked for by one replica at a time (the others
 * skip that step while it runs): each replica would otherwise find the same
 * ones and call the provider for each, which the refund's idempotency key and
 * the conditional settlement make harmless but not free.
 */
export function startPaymentWorker(
  payments: PaymentService,
  options: { intervalMs: number; logger: Logger; runAlone: SubgraphWiring<unknown>['runAlone'] },
): PaymentWorker {
  let lastReconciled = 0;

  async function runOnce(): Promise<number> {
    let handled = 0;
    // Work off a backlog (after an outage) batch after batch, not one batch per interval.
    for (let batch = await payments.processDuePayments(); batch > 0; batch = await payments.processDuePayments()) handled += batch;
    if (Date.now() - lastReconciled >= Math.min(RECONCILE_EVERY_MS, options.intervalMs * 5)) {
      lastReconciled = Date.now();
      const reconciled = await options.runAlone('reconcile cancelled orders', () => payments.reconcileCancelledOrders(), { ifFree: true });
      if (reconciled.ran) handled += reconciled.value;
    }
    return handled;
  }

  const periodic = runPeriodically(runOnce, { intervalMs: options.intervalMs, logger: options.logger, name: 'payment worker' });
  return { runOnce, stop: () => periodic.stop() };
}
