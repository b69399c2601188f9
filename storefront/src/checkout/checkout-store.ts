import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { CancellationReason } from '../api/types.js';
import type { CartLine } from '../cart/cart-math.js';

/**
 * One checkout attempt: what is being ordered, the idempotency key it is
 * placed with, and the order once the API answered. Persisted before the
 * request leaves, so a double click or a reload in the middle sends the same
 * key again and the API answers with the same order, never a second one.
 */
export interface CheckoutAttempt {
  /** The items and card this key was made for: another cart or card is another order, with a key of its own. */
  fingerprint: string;
  idempotencyKey: string;
  paymentToken: string;
  orderId?: string;
}

/** How the last attempt ended when it did not confirm, shown above the checkout form. */
export interface FailedCheckout {
  orderId: string;
  reason: CancellationReason | null;
  /** The card's decline code (card_declined, insufficient_funds, …). */
  paymentFailure: string | null;
}

interface CheckoutState {
  attempt: CheckoutAttempt | undefined;
  lastFailure: FailedCheckout | undefined;
  /** The attempt for these items and card: the current one if they are the same, else a new key. */
  begin(lines: readonly CartLine[], paymentToken: string): CheckoutAttempt;
  placed(orderId: string): void;
  failed(failure: FailedCheckout): void;
  /** The order is final and confirmed: the next checkout starts afresh. */
  finished(): void;
}

export function fingerprintOf(lines: readonly Pick<CartLine, 'productId' | 'quantity'>[], paymentToken: string): string {
  const items = lines.map(({ productId, quantity }) => `${productId}x${quantity}`).sort();
  return JSON.stringify({ items, paymentToken });
}

export const useCheckout = create<CheckoutState>()(
  persist(
    (set, get) => ({
      attempt: undefined,
      lastFailure: undefined,
      begin(lines, paymentToken) {
        const fingerprint = fingerprintOf(lines, paymentToken);
        const current = get().attempt;
        if (current?.fingerprint === fingerprint) return current;
        const attempt = { fingerprint, paymentToken, idempotencyKey: crypto.randomUUID() };
        set({ attempt, lastFailure: undefined });
        return attempt;
      },
      placed: (orderId) => set(({ attempt }) => ({ attempt: attempt && { ...attempt, orderId } })),
      // The cancelled order keeps its key; trying again (even with the same card) is a new order.
      failed: (failure) => set({ attempt: undefined, lastFailure: failure }),
      finished: () => set({ attempt: undefined, lastFailure: undefined }),
    }),
    { name: 'shop.checkout', storage: createJSONStorage(() => localStorage) },
  ),
);
