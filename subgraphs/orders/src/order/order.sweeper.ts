import type { Logger } from '@shop/observability';
import { runPeriodically } from '@shop/runtime';
import { finishOrders, type WriteDeps } from './order.service.js';

export interface OrderSweeper {
  /** Runs one sweep now; resolves with the number of orders timed out. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Cancels orders still PENDING after the saga deadline (TIMED_OUT) and emits
 * OrderCancelled, so stock is released and any charge refunded, a batch at a
 * time (finishOrders claims them with SKIP LOCKED: replicas can sweep side by side).
 */
export function startOrderSweeper(options: { writes: WriteDeps; deadlineMs: number; intervalMs: number; logger: Logger }): OrderSweeper {
  const { writes, deadlineMs, logger } = options;
  const BATCH = 100;

  async function sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = new Date();
      const placedBefore = new Date(now.getTime() - deadlineMs);
      const timedOut = (await finishOrders(writes, { placedBefore, limit: BATCH }, { status: 'CANCELLED', reason: 'TIMED_OUT' }, now)).length;
      total += timedOut;
      if (timedOut < BATCH) break;
    }
    if (total > 0) logger.warn({ orders: total, deadlineMs }, 'cancelled orders still pending past the saga deadline');
    return total;
  }

  const periodic = runPeriodically(sweep, { intervalMs: options.intervalMs, logger, name: 'order sweep' });
  return { sweep, stop: () => periodic.stop() };
}
