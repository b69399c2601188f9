import type { CancellationReason, Order } from '../api/types.js';
import { explainPaymentFailure } from '../checkout/payment-cards.js';
import { Price } from './Price.js';

const REASONS: Record<CancellationReason, string> = {
  OUT_OF_STOCK: 'Not enough stock was left for everything in the order, so nothing was charged.',
  PAYMENT_DECLINED: 'The payment was declined.',
  CUSTOMER_CANCELLED: 'You cancelled the order.',
  TIMED_OUT: 'The payment took too long, so the order was cancelled.',
};

/** The cancellation in words, with the card's reason when the payment was declined. */
export function explainCancellation(reason: CancellationReason | null, paymentFailure: string | null): string {
  const words = reason ? REASONS[reason] : 'The order was cancelled.';
  if (reason === 'PAYMENT_DECLINED') return `${words} ${explainPaymentFailure(paymentFailure)}`;
  return words;
}

const STATUS_WORDS = { PENDING: 'Processing', CONFIRMED: 'Confirmed', CANCELLED: 'Cancelled' } as const;

export function OrderStatusBadge({ status }: { status: Order['status'] }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {STATUS_WORDS[status]}
    </span>
  );
}

export interface OrderStatusProps {
  order: Pick<Order, 'id' | 'status' | 'cancellationReason' | 'total' | 'payment'>;
  /** The payment could not be read (its subgraph was unavailable). */
  paymentUnavailable?: boolean;
}

/**
 * Where an order stands, announced to screen readers as it changes (a
 * polite live region): processing, confirmed with its total as the API
 * priced it, or cancelled with the reason.
 */
export function OrderStatus({ order, paymentUnavailable = false }: OrderStatusProps) {
  return (
    <section className={`order-status order-status-${order.status.toLowerCase()}`} aria-live="polite" aria-label="Order status">
      <p className="order-status-line">
        <OrderStatusBadge status={order.status} />
        <span>
          Order <code>{order.id}</code>, total <Price money={order.total} />
        </span>
      </p>
      {order.status === 'PENDING' ? <p>We are taking the payment and reserving your items…</p> : null}
      {order.status === 'CONFIRMED' ? <p>Thank you: the payment went through and your items are reserved for you.</p> : null}
      {order.status === 'CANCELLED' ? <p className="order-status-reason">{explainCancellation(order.cancellationReason, order.payment?.failureReason ?? null)}</p> : null}
      <p className="payment-line">
        Payment:{' '}
        {paymentUnavailable ? (
          <em>details unavailable right now</em>
        ) : order.payment ? (
          <>
            {order.payment.status.toLowerCase()}
            {order.payment.attempts > 1 ? ` after ${order.payment.attempts} attempts` : ''}
          </>
        ) : (
          'not attempted'
        )}
      </p>
    </section>
  );
}
