import type { Money } from '../api/types.js';

export interface CartLine {
  productId: string;
  name: string;
  unitPrice: Money;
  quantity: number;
  /** Units available when last seen; the quantity is capped by it. */
  stock: number;
}

/** A line's price: integer cents times an integer, so never a rounding error. */
export function lineTotal(line: Pick<CartLine, 'unitPrice' | 'quantity'>): Money {
  return { amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency };
}

/**
 * The cart's totals, one per currency in the order they first appear (a cart
 * mixing currencies cannot be ordered as one; the API says so at checkout).
 */
export function cartTotals(lines: readonly CartLine[]): Money[] {
  const totals = new Map<string, number>();
  for (const line of lines) {
    const { amount, currency } = lineTotal(line);
    totals.set(currency, (totals.get(currency) ?? 0) + amount);
  }
  return [...totals].map(([currency, amount]) => ({ amount, currency }));
}

export const itemCount = (lines: readonly CartLine[]): number => lines.reduce((count, line) => count + line.quantity, 0);

/** A wanted quantity brought into 1..stock (whole units); 0 when nothing is in stock. */
export function clampQuantity(wanted: number, stock: number): number {
  if (stock < 1) return 0;
  if (!Number.isFinite(wanted)) return 1;
  return Math.min(Math.max(Math.trunc(wanted), 1), stock);
}
