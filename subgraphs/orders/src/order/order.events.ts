import type { EventHandlers } from '@shop/outbox';
import type { OrderOutcome } from './order.model.js';
import { finishOrders, type WriteDeps } from './order.service.js';

/**
 * The orders side of the checkout saga: an order ends CONFIRMED when its
 * payment succeeded, CANCELLED when stock or payment failed. A duplicate or
 * late outcome finds the order finished and changes nothing (finishOrders).
 */
export function orderSagaHandlers(writes: WriteDeps): EventHandlers {
  async function finish(orderId: string, outcome: OrderOutcome): Promise<void> {
    await finishOrders(writes, { id: orderId }, outcome);
  }
  return {
    StockRejected: (event) => finish(event.data.orderId, { status: 'CANCELLED', reason: 'OUT_OF_STOCK' }),
    PaymentFailed: (event) => finish(event.data.orderId, { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' }),
    PaymentSucceeded: (event) => finish(event.data.orderId, { status: 'CONFIRMED' }),
  };
}
