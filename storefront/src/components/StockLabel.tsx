/** Stock in words: sold out, a few left, or in stock with the count. */
export function StockLabel({ stock }: { stock: number }) {
  if (stock < 1) return <span className="stock stock-out">Out of stock</span>;
  if (stock <= 5) return <span className="stock stock-low">Only {stock} left</span>;
  return <span className="stock">{stock} in stock</span>;
}
