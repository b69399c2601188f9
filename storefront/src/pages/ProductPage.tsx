import { useQuery } from '@tanstack/react-query';
import { describeProblem } from '../api/errors.js';
import { productQuery } from '../api/queries.js';
import { useShopClient } from '../api/shop-client.js';
import { useCart } from '../cart/cart-store.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Price } from '../components/Price.js';
import { StockLabel } from '../components/StockLabel.js';
import { Link } from '../router.js';

export function ProductPage({ id }: { id: string }) {
  const client = useShopClient();
  const query = useQuery(productQuery(client, id));
  const inCart = useCart((cart) => cart.lines.find((line) => line.productId === id)?.quantity ?? 0);
  const add = useCart((cart) => cart.add);
  if (query.isPending) return <p role="status">Loading…</p>;
  if (query.isError) return <ErrorNotice problem={describeProblem(query.error)} onRetry={() => void query.refetch()} />;
  const product = query.data.product;
  if (!product) {
    return (
      <>
        <h1>Product not found</h1>
        <p>
          No product has this id. <Link to="/">Back to the catalog</Link>
        </p>
      </>
    );
  }
  const soldOut = product.stock < 1 || !product.active;
  return (
    <article className="product-page">
      <p>
        <Link to="/">← Catalog</Link>
      </p>
      <h1>{product.name}</h1>
      <p className="sku">SKU {product.sku}</p>
      <p>{product.description}</p>
      <p className="product-meta">
        <Price money={product.price} />
        <StockLabel stock={product.active ? product.stock : 0} />
      </p>
      <button type="button" onClick={() => add(product)} disabled={soldOut || inCart >= product.stock}>
        {soldOut ? 'Sold out' : inCart >= product.stock ? 'All in cart' : 'Add to cart'}
      </button>
      {inCart > 0 ? (
        <p>
          {inCart} in your cart. <Link to="/cart">View cart</Link>
        </p>
      ) : null}
    </article>
  );
}
