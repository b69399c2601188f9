import { useEffect, useState, type FormEvent } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { describeProblem } from '../api/errors.js';
import { catalogQuery } from '../api/queries.js';
import { useShopClient } from '../api/shop-client.js';
import { useCart } from '../cart/cart-store.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { ProductCard } from '../components/ProductCard.js';

/** Marked once, when the first page of products is on screen: the e2e run reads it to time the first load. */
function markCatalogRendered() {
  if (performance.getEntriesByName('catalog-rendered').length === 0) performance.mark('catalog-rendered');
}

/** Products newest first, with search and "Load more" (cursor pagination). */
export function CatalogPage() {
  const client = useShopClient();
  const [draft, setDraft] = useState('');
  const [search, setSearch] = useState('');
  const catalog = useInfiniteQuery(catalogQuery(client, search));
  const lines = useCart((cart) => cart.lines);
  const add = useCart((cart) => cart.add);
  const products = catalog.data?.pages.flatMap((page) => page.products.edges.map(({ node }) => node)) ?? [];
  const totalCount = catalog.data?.pages[0]?.products.totalCount;

  useEffect(() => {
    if (catalog.isSuccess) markCatalogRendered();
  }, [catalog.isSuccess]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setSearch(draft.trim());
  }

  return (
    <>
      <h1>Catalog</h1>
      <form role="search" className="search" onSubmit={submit}>
        <label htmlFor="catalog-search">Search products</label>
        <input id="catalog-search" type="search" value={draft} onChange={(event) => setDraft(event.currentTarget.value)} placeholder="Name, SKU or description" />
        <button type="submit">Search</button>
      </form>
      {catalog.isPending ? <p role="status">Loading products…</p> : null}
      {catalog.isError ? <ErrorNotice problem={describeProblem(catalog.error)} onRetry={() => void catalog.refetch()} /> : null}
      {catalog.isSuccess ? (
        <p role="status" className="result-count">
          {totalCount === 0 ? (search ? `No product matches “${search}”.` : 'The catalog is empty.') : `${totalCount} product${totalCount === 1 ? '' : 's'}${search ? ` matching “${search}”` : ''}`}
        </p>
      ) : null}
      <ul className="product-grid" aria-label="Products">
        {products.map((product) => (
          <li key={product.id}>
            <ProductCard product={product} inCart={lines.find((line) => line.productId === product.id)?.quantity ?? 0} onAdd={() => add(product)} />
          </li>
        ))}
      </ul>
      {catalog.hasNextPage ? (
        <button type="button" className="load-more" onClick={() => void catalog.fetchNextPage()} disabled={catalog.isFetchingNextPage}>
          {catalog.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
      {catalog.isFetchNextPageError ? <ErrorNotice problem={describeProblem(catalog.error)} onRetry={() => void catalog.fetchNextPage()} /> : null}
    </>
  );
}
