import type { Product } from '../api/types.js';
import { Link } from '../router.js';
import { Price } from './Price.js';
import { StockLabel } from './StockLabel.js';

export interface ProductCardProps {
  product: Pick<Product, 'id' | 'sku' | 'name' | 'description' | 'price' | 'stock'>;
  /** Units of it already in the cart: none can be added beyond the stock. */
  inCart: number;
  onAdd: () => void;
}

/** One product of the catalog: name (linking to its page), price, stock, and "Add to cart" while any is left. */
export function ProductCard({ product, inCart, onAdd }: ProductCardProps) {
  const soldOut = product.stock < 1;
  const allInCart = !soldOut && inCart >= product.stock;
  return (
    <article className="card product-card" aria-labelledby={`product-${product.id}`}>
      <h3 id={`product-${product.id}`}>
        <Link to={`/products/${product.id}`}>{product.name}</Link>
      </h3>
      <p className="description">{product.description}</p>
      <p className="product-meta">
        <Price money={product.price} />
        <StockLabel stock={product.stock} />
      </p>
      <button type="button" onClick={onAdd} disabled={soldOut || allInCart} aria-describedby={`product-${product.id}`}>
        {soldOut ? 'Sold out' : allInCart ? 'All in cart' : 'Add to cart'}
      </button>
      {inCart > 0 ? <p className="in-cart">{inCart} in your cart</p> : null}
    </article>
  );
}
