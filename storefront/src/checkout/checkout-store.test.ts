import { beforeEach, describe, expect, it } from 'vitest';
import type { CartLine } from '../cart/cart-math.js';
import { useCheckout } from './checkout-store.js';

const lines: CartLine[] = [{ productId: '1', name: 'Mug', unitPrice: { amount: 1400, currency: 'EUR' }, quantity: 2, stock: 5 }];

describe('checkout idempotency key', () => {
  beforeEach(() => useCheckout.getState().finished());

  it('is the same for the same items and card (a double click, a reload), and kept in localStorage', () => {
    const first = useCheckout.getState().begin(lines, 'tok_visa');
    const again = useCheckout.getState().begin([...lines], 'tok_visa');
    expect(again.idempotencyKey).toBe(first.idempotencyKey);
    expect(localStorage.getItem('shop.checkout')).toContain(first.idempotencyKey);
  });

  it('changes with the items or the card: another order, never a CONFLICT', () => {
    const first = useCheckout.getState().begin(lines, 'tok_visa');
    expect(useCheckout.getState().begin(lines, 'tok_chargeDeclined').idempotencyKey).not.toBe(first.idempotencyKey);
    expect(useCheckout.getState().begin([{ ...lines[0]!, quantity: 3 }], 'tok_chargeDeclined').idempotencyKey).not.toBe(first.idempotencyKey);
  });

  it('is new after a cancelled order, even for the same cart and card', () => {
    const first = useCheckout.getState().begin(lines, 'tok_chargeDeclined');
    useCheckout.getState().placed('order-1');
    useCheckout.getState().failed({ orderId: 'order-1', reason: 'PAYMENT_DECLINED', paymentFailure: 'card_declined' });
    expect(useCheckout.getState().lastFailure?.orderId).toBe('order-1');
    expect(useCheckout.getState().begin(lines, 'tok_chargeDeclined').idempotencyKey).not.toBe(first.idempotencyKey);
  });
});
