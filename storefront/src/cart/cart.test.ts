import { beforeEach, describe, expect, it } from 'vitest';
import { cartTotals, clampQuantity, itemCount, lineTotal, type CartLine } from './cart-math.js';
import { useCart } from './cart-store.js';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const line = (productId: string, amount: number, quantity: number, stock = 10): CartLine => ({ productId, name: productId, unitPrice: eur(amount), quantity, stock });

describe('cart arithmetic', () => {
  it('computes in integer cents, where floats would drift', () => {
    // 0.1 + 0.2 in euros is 0.30000000000000004 as floats; in cents it is 30.
    expect(cartTotals([line('a', 10, 1), line('b', 20, 1)])).toEqual([eur(30)]);
    expect(lineTotal(line('mug', 1999, 3))).toEqual(eur(5997));
    expect(cartTotals([line('mug', 1999, 3), line('pen', 4900, 2)])).toEqual([eur(15_797)]);
  });

  it('keeps one total per currency', () => {
    const usd = { ...line('cap', 1500, 2), unitPrice: { amount: 1500, currency: 'USD' } };
    expect(cartTotals([line('mug', 1400, 1), usd, line('pen', 100, 1)])).toEqual([eur(1500), { amount: 3000, currency: 'USD' }]);
  });

  it('brings a quantity into 1..stock', () => {
    expect(clampQuantity(0, 5)).toBe(1);
    expect(clampQuantity(9, 5)).toBe(5);
    expect(clampQuantity(2.7, 5)).toBe(2);
    expect(clampQuantity(Number.NaN, 5)).toBe(1);
    expect(clampQuantity(3, 0)).toBe(0);
    expect(itemCount([line('a', 1, 2), line('b', 1, 3)])).toBe(5);
  });
});

describe('cart store', () => {
  const mug = { id: 'mug', name: 'Mug', price: eur(1400), stock: 3 };
  beforeEach(() => useCart.getState().clear());

  it('adds up to the stock and no further', () => {
    const { add } = useCart.getState();
    add(mug);
    add(mug, 5);
    expect(useCart.getState().lines).toEqual([{ productId: 'mug', name: 'Mug', unitPrice: eur(1400), quantity: 3, stock: 3 }]);
  });

  it('adds nothing of a product out of stock', () => {
    useCart.getState().add({ ...mug, stock: 0 });
    expect(useCart.getState().lines).toEqual([]);
  });

  it('changes a quantity within 1..stock, and removes a line', () => {
    const { add, setQuantity, remove } = useCart.getState();
    add(mug);
    setQuantity('mug', 99);
    expect(useCart.getState().lines[0]?.quantity).toBe(3);
    setQuantity('mug', 0);
    expect(useCart.getState().lines[0]?.quantity).toBe(1);
    remove('mug');
    expect(useCart.getState().lines).toEqual([]);
  });

  it('is kept in localStorage, so a reload finds it', () => {
    useCart.getState().add(mug, 2);
    const stored = JSON.parse(localStorage.getItem('shop.cart') ?? '{}') as { state?: { lines?: CartLine[] } };
    expect(stored.state?.lines).toEqual([{ productId: 'mug', name: 'Mug', unitPrice: eur(1400), quantity: 2, stock: 3 }]);
  });

  it('takes the latest stock and caps the quantity to it, keeping a line whose stock ran out', () => {
    const { add, refresh } = useCart.getState();
    add(mug, 3);
    refresh({ ...mug, stock: 2 });
    expect(useCart.getState().lines[0]).toMatchObject({ quantity: 2, stock: 2 });
    refresh({ ...mug, stock: 0 });
    expect(useCart.getState().lines[0]).toMatchObject({ quantity: 1, stock: 0 });
  });
});
