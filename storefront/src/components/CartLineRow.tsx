import { lineTotal, type CartLine } from '../cart/cart-math.js';
import { Link } from '../router.js';
import { Price } from './Price.js';
import { QuantityInput } from './QuantityInput.js';

export interface CartLineRowProps {
  line: CartLine;
  onQuantityChange: (quantity: number) => void;
  onRemove: () => void;
}

/** A row of the cart table: product, unit price, quantity (1 up to the stock), line total, remove. */
export function CartLineRow({ line, onQuantityChange, onRemove }: CartLineRowProps) {
  const overStock = line.quantity > line.stock;
  return (
    <tr>
      <th scope="row">
        <Link to={`/products/${line.productId}`}>{line.name}</Link>
        {overStock ? (
          <p className="field-error" role="status">
            {line.stock < 1 ? 'Now out of stock: remove it to check out.' : `Only ${line.stock} left.`}
          </p>
        ) : null}
      </th>
      <td>
        <Price money={line.unitPrice} />
      </td>
      <td>
        <QuantityInput value={line.quantity} max={Math.max(line.stock, 1)} onChange={onQuantityChange} label={`Quantity of ${line.name}`} />
      </td>
      <td className="numeric">
        <Price money={lineTotal(line)} />
      </td>
      <td>
        <button type="button" className="link-button" onClick={onRemove} aria-label={`Remove ${line.name}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}
