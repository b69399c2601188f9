import type { EventHandlers } from '@shop/outbox';
import type { PaymentService } from './payment.service.js';

/**
 * The events payments acts on. Both handlers are idempotent and
 * order-independent by the payment's own state: a StockReserved after its
 * order's OrderCancelled finds the cancellation and charges nothing; a
 * redelivered StockReserved finds the payment and leaves it to the worker; an
 * OrderCancelled settles whatever the payment had come to.
 */
export function paymentEventHandlers(payments: PaymentService): EventHandlers {
  return {
    StockReserved: (event) => payments.startPayment(event.data),
    OrderCancelled: (event) => payments.cancelOrder(event.data.orderId),
  };
}
