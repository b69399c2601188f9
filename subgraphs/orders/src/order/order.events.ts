import type { Kysely } from 'kysely';
import { createEvent } from '@shop/events';
import { appendToOutbox, applyOnce, type EventHandlers } from '@shop/outbox';
import type { CancellationReason } from '../__generated__/resolvers-types.js';
import type { SagaOutcomes } from './order.metrics.js';
import { finishPendingOrder } from './order.repository.js';
import type { OrdersDatabase } from './order.table.js';

const CONSUMER = 'orders-saga';

/**
 * The orders side of the checkout saga: an order ends CONFIRMED when its
 * payment succeeded, CANCELLED when stock or payment failed. Only a PENDING
 * order moves: an outcome arriving after a cancellation changes nothing (the
 * payments subgraph refunds a charge that lands on a cancelled order).
 */
export function orderSagaHandlers(db: Kysely<OrdersDatabase>, notifyOutbox: () => void, outcomes: SagaOutcomes): EventHandlers {
  async function cancel(eventId: string, orderId: string, reason: CancellationReason) {
    let finished = false;
    await applyOnce(db, CONSUMER, eventId, async (trx) => {
      const now = new Date();
      const order = await finishPendingOrder(trx, orderId, { status: 'CANCELLED', reason }, now);
      if (order) await appendToOutbox(trx, [createEvent('OrderCancelled', orderId, { orderId, reason }, now)]);
      finished = order !== undefined;
    });
    if (finished) outcomes.record(reason);
    notifyOutbox();
  }
  return {
    StockRejected: (event) => cancel(event.id, event.data.orderId, 'OUT_OF_STOCK'),
    PaymentFailed: (event) => cancel(event.id, event.data.orderId, 'PAYMENT_DECLINED'),
    async PaymentSucceeded(event) {
      const { orderId } = event.data;
      let finished = false;
      await applyOnce(db, CONSUMER, event.id, async (trx) => {
        const now = new Date();
        const order = await finishPendingOrder(trx, orderId, { status: 'CONFIRMED' }, now);
        if (order) await appendToOutbox(trx, [createEvent('OrderConfirmed', orderId, { orderId }, now)]);
        finished = order !== undefined;
      });
      if (finished) outcomes.record('CONFIRMED');
      notifyOutbox();
    },
  };
}
