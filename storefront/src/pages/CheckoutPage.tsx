import { useEffect, useState, type FormEvent } from 'react';
import { describeProblem } from '../api/errors.js';
import { usePlaceOrder } from '../api/queries.js';
import { cartTotals } from '../cart/cart-math.js';
import { useCart } from '../cart/cart-store.js';
import { useCheckout } from '../checkout/checkout-store.js';
import type { TestCardToken } from '../checkout/payment-cards.js';
import { useOrderStatus } from '../checkout/use-order-status.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { explainCancellation, OrderStatus } from '../components/OrderStatus.js';
import { PaymentCardPicker } from '../components/PaymentCardPicker.js';
import { Price } from '../components/Price.js';
import { Link, navigate } from '../router.js';
import { useIsCustomer } from '../session/session-store.js';

/** Follows the placed order; when the saga decides, confirms (cart emptied) or explains (cart kept). */
function FollowOrder({ orderId }: { orderId: string }) {
  const status = useOrderStatus(orderId);
  const clearCart = useCart((cart) => cart.clear);
  const { finished, failed } = useCheckout();
  const order = status.data?.data.order;
  useEffect(() => {
    if (order?.status === 'CONFIRMED') {
      clearCart();
      finished();
      navigate(`/orders/${order.id}`, { replace: true });
    } else if (order?.status === 'CANCELLED') {
      failed({ orderId: order.id, reason: order.cancellationReason, paymentFailure: order.payment?.failureReason ?? null });
    }
  }, [order, clearCart, finished, failed]);
  if (status.isError) return <ErrorNotice problem={describeProblem(status.error)} onRetry={() => void status.refetch()} />;
  if (!order) return <p role="status">Placing your order…</p>;
  return <OrderStatus order={order} paymentUnavailable={(status.data?.missing ?? []).some((path) => path.includes('payment'))} />;
}

export function CheckoutPage() {
  const lines = useCart((cart) => cart.lines);
  const { attempt, lastFailure, begin, placed } = useCheckout();
  const isCustomer = useIsCustomer();
  const placeOrder = usePlaceOrder();
  // After a reload in the middle of a checkout, the card chosen then is chosen again.
  const [card, setCard] = useState<TestCardToken>((attempt?.paymentToken as TestCardToken | undefined) ?? 'tok_visa');

  if (attempt?.orderId) {
    return (
      <>
        <h1>Checkout</h1>
        <FollowOrder orderId={attempt.orderId} />
      </>
    );
  }
  if (!isCustomer) {
    return (
      <>
        <h1>Checkout</h1>
        <p>
          <Link to="/sign-in">Sign in as a customer</Link> to place your order. Your cart stays as it is.
        </p>
      </>
    );
  }
  if (lines.length === 0) {
    return (
      <>
        <h1>Checkout</h1>
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>
        </p>
      </>
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    // The key is stored before the request leaves: a second click, or a reload before the answer, sends it again.
    const { idempotencyKey, paymentToken } = begin(lines, card);
    placeOrder.mutate(
      { items: lines.map(({ productId, quantity }) => ({ productId, quantity })), paymentToken, idempotencyKey },
      { onSuccess: (order) => placed(order.id) },
    );
  }

  return (
    <>
      <h1>Checkout</h1>
      {lastFailure ? (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">Your order {lastFailure.orderId} was not placed</p>
          <p>{explainCancellation(lastFailure.reason, lastFailure.paymentFailure)}</p>
          <p>Your cart is as you left it: change it or pick another card, and try again.</p>
        </div>
      ) : null}
      <form className="form" onSubmit={submit} aria-label="Checkout">
        <ul className="checkout-summary" aria-label="Order summary">
          {lines.map((line) => (
            <li key={line.productId}>
              {line.quantity} × {line.name} <Price money={line.unitPrice} />
            </li>
          ))}
        </ul>
        <p>
          Estimated total:{' '}
          {cartTotals(lines).map((total) => (
            <Price key={total.currency} money={total} />
          ))}
        </p>
        <PaymentCardPicker value={card} onChange={setCard} />
        {placeOrder.isError ? <ErrorNotice problem={describeProblem(placeOrder.error)} /> : null}
        <button type="submit" disabled={placeOrder.isPending}>
          {placeOrder.isPending ? 'Placing order…' : 'Place order'}
        </button>
      </form>
    </>
  );
}
