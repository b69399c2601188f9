import { useEffect } from 'react';
import { useQueries } from '@tanstack/react-query';
import { productQuery } from '../api/queries.js';
import { useShopClient } from '../api/shop-client.js';
import { cartTotals } from '../cart/cart-math.js';
import { useCart } from '../cart/cart-store.js';
import { CartLineRow } from '../components/CartLineRow.js';
import { Price } from '../components/Price.js';
import { Link } from '../router.js';

/** The cart: each line's latest price and stock is fetched, so what is shown is what can be ordered. */
export function CartPage() {
  const client = useShopClient();
  const { lines, setQuantity, remove, refresh } = useCart();
  const latest = useQueries({ queries: lines.map((line) => productQuery(client, line.productId)) });
  const fresh = latest.map((query) => query.data?.product);
  // Runs when an answer brings a different stock or price, not on every render.
  const freshKey = fresh.map((product) => (product ? `${product.id}:${product.stock}:${product.price.amount}` : '')).join();
  useEffect(() => {
    for (const product of fresh) if (product) refresh(product);
  }, [freshKey]);

  if (lines.length === 0) {
    return (
      <>
        <h1>Your cart</h1>
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>
        </p>
      </>
    );
  }
  const blocked = lines.some((line) => line.stock < 1);
  return (
    <>
      <h1>Your cart</h1>
      <table className="cart-table">
        <caption className="visually-hidden">Products in your cart</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col" className="numeric">
              Total
            </th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <CartLineRow key={line.productId} line={line} onQuantityChange={(quantity) => setQuantity(line.productId, quantity)} onRemove={() => remove(line.productId)} />
          ))}
        </tbody>
        <tfoot>
          {cartTotals(lines).map((total) => (
            <tr key={total.currency}>
              <th scope="row" colSpan={3}>
                Estimated total
              </th>
              <td className="numeric" data-testid={`cart-total-${total.currency}`}>
                <Price money={total} />
              </td>
              <td />
            </tr>
          ))}
        </tfoot>
      </table>
      <p className="hint">The order’s total is priced by the shop when you place it.</p>
      {blocked ? (
        <p className="field-error">Remove what is out of stock to check out.</p>
      ) : (
        <Link to="/checkout" className="button">
          Check out
        </Link>
      )}
    </>
  );
}
