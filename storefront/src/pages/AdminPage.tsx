import { useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { describeProblem } from '../api/errors.js';
import { catalogQuery, useCreateProduct } from '../api/queries.js';
import { useShopClient } from '../api/shop-client.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Price } from '../components/Price.js';
import { ProductForm } from '../components/ProductForm.js';
import { Link, navigate } from '../router.js';

/** Catalog admin: the products with links to edit and restock them, and a form for a new one. */
export function AdminPage() {
  const client = useShopClient();
  // An admin acts on what is in the database now, not on what the catalog cached a few seconds ago.
  const catalog = useInfiniteQuery({ ...catalogQuery(client, ''), refetchOnMount: 'always' });
  const create = useCreateProduct();
  // A new form after each product created (its fields empty again).
  const [formKey, setFormKey] = useState(0);
  const products = catalog.data?.pages.flatMap((page) => page.products.edges.map(({ node }) => node)) ?? [];
  return (
    <>
      <h1>Catalog admin</h1>
      <section aria-labelledby="new-product">
        <h2 id="new-product">New product</h2>
        <ProductForm
          key={formKey}
          mode="create"
          problem={create.error ? describeProblem(create.error) : undefined}
          submitting={create.isPending}
          onSubmit={(input) =>
            create.mutate(input, {
              onSuccess: (product) => {
                setFormKey((key) => key + 1);
                navigate(`/admin/products/${product.id}`);
              },
            })
          }
        />
      </section>
      <section aria-labelledby="products-admin">
        <h2 id="products-admin">Products on sale</h2>
        {catalog.isError ? <ErrorNotice problem={describeProblem(catalog.error)} onRetry={() => void catalog.refetch()} /> : null}
        <table className="orders-table">
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">SKU</th>
              <th scope="col" className="numeric">
                Price
              </th>
              <th scope="col" className="numeric">
                Stock
              </th>
            </tr>
          </thead>
          <tbody>
            {products.map((product) => (
              <tr key={product.id}>
                <th scope="row">
                  <Link to={`/admin/products/${product.id}`} aria-label={`Edit ${product.name}`}>
                    {product.name}
                  </Link>
                </th>
                <td>{product.sku}</td>
                <td className="numeric">
                  <Price money={product.price} />
                </td>
                <td className="numeric">{product.stock}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {catalog.hasNextPage ? (
          <button type="button" className="load-more" onClick={() => void catalog.fetchNextPage()}>
            Load more
          </button>
        ) : null}
      </section>
    </>
  );
}
