import { createEvent } from '@shop/events';
import type { EventHandlers, Outbox } from '@shop/outbox';
import type { CancellationReason } from './order.model.js';
import type { SagaOutcomes } from './order.metrics.js';
import { finishPendingOrder } from './order.repository.js';
import type { OrdersDatabase } from './order.table.js';

/**
 * The orders side of the checkout saga: an order ends CONFIRMED when its
 * payment succeeded, CANCELLED when stock or payment failed. Only a PENDING
 * order moves, so the first outcome wins whatever order the events arrive in:
 * a late outcome changes nothing (the payments subgraph refunds a charge that
 * lands on a cancelled order), and a duplicate finds the order finished.
 */
export function orderSagaHandlers(outbox: Outbox<OrdersDatabase>, outcomes: SagaOutcomes): EventHandlers {
  /** Moves a PENDING order to its outcome and announces it; an order that already left PENDING stays as it is. */
  async function finish(orderId: string, outcome: { status: 'CONFIRMED' } | { status: 'CANCELLED'; reason: CancellationReason }) {
    const now = new Date();
    const event =
      outcome.status === 'CONFIRMED'
        ? createEvent('OrderConfirmed', orderId, { orderId }, now)
        : createEvent('OrderCancelled', orderId, { orderId, reason: outcome.reason }, now);
    // One statement (the hottest write of the saga). No inbox record needed: only
    // a PENDING order moves, so a duplicate finds nothing to do.
    const order = await outbox.changeAndEmit((db) => finishPendingOrder(db, orderId, outcome, now), event);
    if (order) outcomes.record(outcome.status === 'CONFIRMED' ? 'CONFIRMED' : outcome.reason);
  }
  return {
    StockRejected: (event) => finish(event.data.orderId, { status: 'CANCELLED', reason: 'OUT_OF_STOCK' }),
    PaymentFailed: (event) => finish(event.data.orderId, { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' }),
    PaymentSucceeded: (event) => finish(event.data.orderId, { status: 'CONFIRMED' }),
  };
}
