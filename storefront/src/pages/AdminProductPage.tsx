import { useQuery } from '@tanstack/react-query';
import { describeProblem } from '../api/errors.js';
import { productQuery, useRestockProduct, useUpdateProduct } from '../api/queries.js';
import { useShopClient } from '../api/shop-client.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { ProductForm } from '../components/ProductForm.js';
import { RestockForm } from '../components/RestockForm.js';
import { StockLabel } from '../components/StockLabel.js';
import { Link } from '../router.js';

/** Edit one product and restock it. */
export function AdminProductPage({ id }: { id: string }) {
  const client = useShopClient();
  const query = useQuery(productQuery(client, id));
  const update = useUpdateProduct();
  const restock = useRestockProduct();
  if (query.isPending) return <p role="status">Loading…</p>;
  if (query.isError) return <ErrorNotice problem={describeProblem(query.error)} onRetry={() => void query.refetch()} />;
  const product = query.data.product;
  if (!product) return <p>No product has id {id}.</p>;
  return (
    <>
      <p>
        <Link to="/admin">← Catalog admin</Link>
      </p>
      <h1>
        {product.name} <span className="sku">({product.sku})</span>
      </h1>
      <section aria-labelledby="stock-heading">
        <h2 id="stock-heading">Stock</h2>
        <p>
          <StockLabel stock={product.stock} />
        </p>
        <RestockForm problem={restock.error ? describeProblem(restock.error) : undefined} submitting={restock.isPending} onSubmit={(quantity) => restock.mutate({ id, quantity })} />
        {restock.isSuccess ? <p role="status">Restocked: {restock.data.stock} available.</p> : null}
      </section>
      <section aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        {/* Keyed by version: the form starts from what was saved last. */}
        <ProductForm
          key={product.updatedAt}
          mode="edit"
          product={product}
          problem={update.error ? describeProblem(update.error) : undefined}
          submitting={update.isPending}
          onSubmit={(input) => update.mutate({ id, input })}
        />
        {update.isSuccess ? <p role="status">Saved.</p> : null}
      </section>
    </>
  );
}
