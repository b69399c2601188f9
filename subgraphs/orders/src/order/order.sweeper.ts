import { createEvent } from '@shop/events';
import type { Outbox } from '@shop/outbox';
import type { Logger } from '@shop/observability';
import { runPeriodically } from '@shop/runtime';
import type { SagaOutcomes } from './order.metrics.js';
import { timeOutPendingOrders } from './order.repository.js';
import type { OrdersDatabase } from './order.table.js';

export interface OrderSweeper {
  /** Runs one sweep now; resolves with the number of orders timed out. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Cancels orders still PENDING after the saga deadline (TIMED_OUT) and emits
 * OrderCancelled, so stock is released and any charge refunded. Rows are
 * claimed with SKIP LOCKED: replicas can sweep side by side.
 */
export function startOrderSweeper(options: {
  outbox: Outbox<OrdersDatabase>;
  deadlineMs: number;
  intervalMs: number;
  outcomes: SagaOutcomes;
  logger: Logger;
}): OrderSweeper {
  const { outbox, deadlineMs, outcomes, logger } = options;
  const BATCH = 100;

  async function sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = new Date();
      const timedOut = await outbox.transaction(async (trx, emit) => {
        const orders = await timeOutPendingOrders(trx, new Date(now.getTime() - deadlineMs), BATCH, now);
        emit(...orders.map((order) => createEvent('OrderCancelled', order.id, { orderId: order.id, reason: 'TIMED_OUT' }, now)));
        return orders.length;
      });
      outcomes.record('TIMED_OUT', timedOut);
      total += timedOut;
      if (timedOut < BATCH) break;
    }
    if (total > 0) logger.warn({ orders: total, deadlineMs }, 'cancelled orders still pending past the saga deadline');
    return total;
  }

  const periodic = runPeriodically(sweep, { intervalMs: options.intervalMs, logger, name: 'order sweep' });
  return { sweep, stop: () => periodic.stop() };
}
