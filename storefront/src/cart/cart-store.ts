import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { Product } from '../api/types.js';
import { clampQuantity, type CartLine } from './cart-math.js';

interface CartState {
  lines: CartLine[];
  /** Adds units of a product (one by default), never beyond its stock. */
  add(product: Pick<Product, 'id' | 'name' | 'price' | 'stock'>, quantity?: number): void;
  setQuantity(productId: string, quantity: number): void;
  remove(productId: string): void;
  /** Takes a product's latest price and stock, and caps the line's quantity to that stock. */
  refresh(product: Pick<Product, 'id' | 'name' | 'price' | 'stock'>): void;
  clear(): void;
}

const updateLine = (lines: CartLine[], productId: string, change: (line: CartLine) => CartLine): CartLine[] =>
  lines.map((line) => (line.productId === productId ? change(line) : line));

/** The cart, kept across reloads in localStorage. */
export const useCart = create<CartState>()(
  persist(
    (set) => ({
      lines: [],
      add: (product, quantity = 1) =>
        set(({ lines }) => {
          const existing = lines.find((line) => line.productId === product.id);
          const wanted = (existing?.quantity ?? 0) + quantity;
          const line: CartLine = { productId: product.id, name: product.name, unitPrice: product.price, stock: product.stock, quantity: clampQuantity(wanted, product.stock) };
          if (line.quantity === 0) return { lines };
          return { lines: existing ? updateLine(lines, product.id, () => line) : [...lines, line] };
        }),
      setQuantity: (productId, quantity) =>
        set(({ lines }) => ({ lines: updateLine(lines, productId, (line) => ({ ...line, quantity: clampQuantity(quantity, line.stock) || line.quantity })) })),
      remove: (productId) => set(({ lines }) => ({ lines: lines.filter((line) => line.productId !== productId) })),
      refresh: (product) =>
        set(({ lines }) => ({
          lines: updateLine(lines, product.id, (line) => ({
            ...line,
            name: product.name,
            unitPrice: product.price,
            stock: product.stock,
            // Keep the line when the stock ran out: the cart page says so, and the shopper decides.
            quantity: Math.max(clampQuantity(line.quantity, product.stock), Math.min(line.quantity, 1)),
          })),
        })),
      clear: () => set({ lines: [] }),
    }),
    { name: 'shop.cart', storage: createJSONStorage(() => localStorage) },
  ),
);
