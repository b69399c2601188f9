import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClient,
  CreateProductDocument,
  OrderStatusChangedDocument,
  PlaceOrderDocument,
  ProductsDocument,
  RestockProductDocument,
  type ShopClient,
} from '@shop/sdk';
import manifest from '@shop/sdk/persisted-documents.json' with { type: 'json' };
import { DEFAULT_PERSISTED_DOCUMENTS_MANIFEST } from '@shop/router';
import { codesOf, createProducts, startTestSupergraph, waitForCatalog, type TestSupergraph } from '@shop/testing';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const idOf = (document: object) => (document as { __meta__: { hash: string } }).__meta__.hash;
const textOf = (document: object) => (manifest as Record<string, string>)[idOf(document)]!;

const productsId = idOf(ProductsDocument);
const productsText = textOf(ProductsDocument);
const productsHash = productsId.slice('sha256:'.length);
const restockId = idOf(RestockProductDocument);
const unknownQuery = '{ products(first: 1) { edges { node { id name } } } }';

interface Answer {
  status: number;
  codes: unknown[];
  data: unknown;
  fetches: number;
  cacheControl: string | null;
}

/** Sends a raw request to the router; reports the error codes and how many subgraph calls it caused. */
async function send(test: TestSupergraph, init: { body?: unknown; search?: Record<string, unknown> }): Promise<Answer> {
  const before = test.subgraphFetches();
  let response: Response;
  if (init.search) {
    const search = new URLSearchParams(
      Object.entries(init.search).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
    );
    response = await fetch(`${test.url}?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
  } else {
    response = await fetch(test.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) });
  }
  const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: unknown } }[] };
  return {
    status: response.status,
    codes: (body.errors ?? []).map((error) => error.extensions?.code),
    data: body.data,
    fetches: test.subgraphFetches() - before,
    cacheControl: response.headers.get('cache-control'),
  };
}

const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const productsVariables = { first: 3 };

/** Asserts a successful products answer that reached the products subgraph. */
function expectProducts(answer: Answer) {
  expect(answer.codes).toEqual([]);
  expect(answer.status).toBe(200);
  expect(answer.data).toMatchObject({ products: { totalCount: expect.any(Number) as unknown } });
  expect(answer.fetches).toBeGreaterThanOrEqual(1);
}

describe('persisted-documents-only mode (PERSISTED_DOCUMENTS_ONLY=true)', () => {
  let test: TestSupergraph;
  let admin: ShopClient;

  beforeAll(async () => {
    test = await startTestSupergraph({ config: { router: { persistedDocuments: { only: true, manifestPath: DEFAULT_PERSISTED_DOCUMENTS_MANIFEST } } } });
    admin = createClient({ url: test.url, persistedDocuments: 'hash-only' }).withToken(await test.token('admin', ['admin']));
  });
  afterAll(() => test?.stop());

  it('refuses a free-form query outside the manifest before any subgraph is called', async () => {
    for (const answer of [
      await send(test, { body: { query: unknownQuery } }),
      await send(test, { search: { query: unknownQuery } }),
      // Same operation as a manifest document, other bytes: still refused.
      await send(test, { body: { query: `${productsText}\n`, variables: productsVariables } }),
      await send(test, { body: { query: '{ __schema { types { name } } }' } }),
    ]) {
      expect(answer.codes).toEqual(['QUERY_NOT_IN_SAFELIST']);
      expect(answer.status).toBe(403);
      expect(answer.fetches).toBe(0);
    }
  });

  it('runs a manifest document sent by documentId, by Apollo persistedQuery hash, or as its exact text (POST and GET)', async () => {
    expectProducts(await send(test, { body: { documentId: productsId, variables: productsVariables, operationName: 'Products' } }));
    expectProducts(await send(test, { body: { extensions: apq(productsHash), variables: productsVariables } }));
    expectProducts(await send(test, { body: { query: productsText, variables: productsVariables } }));
    expectProducts(await send(test, { search: { documentId: productsId, variables: productsVariables } }));
    expectProducts(await send(test, { search: { extensions: apq(productsHash), variables: productsVariables } }));
    expectProducts(await send(test, { search: { query: productsText, variables: productsVariables } }));
  });

  it('answers PERSISTED_QUERY_NOT_FOUND (HTTP 200, not cached) for an unknown id', async () => {
    for (const answer of [
      await send(test, { body: { documentId: `sha256:${sha256(unknownQuery)}` } }),
      await send(test, { body: { extensions: apq(sha256(unknownQuery)) } }),
      await send(test, { search: { documentId: 'sha256:0000000000000000000000000000000000000000000000000000000000000000' } }),
    ]) {
      expect(answer.codes).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(answer.status).toBe(200);
      expect(answer.cacheControl).toMatch(/no-cache/);
      expect(answer.fetches).toBe(0);
    }
  });

  it('refuses an APQ registration of a new query; nothing is registered', async () => {
    const registration = await send(test, { body: { query: unknownQuery, extensions: apq(sha256(unknownQuery)) } });
    expect(registration.codes).toEqual(['QUERY_NOT_IN_SAFELIST']);
    expect(registration.fetches).toBe(0);
    const byHash = await send(test, { body: { extensions: apq(sha256(unknownQuery)) } });
    expect(byHash.codes).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(byHash.fetches).toBe(0);
  });

  it('refuses an id sent with another query', async () => {
    const answer = await send(test, { body: { documentId: productsId, query: unknownQuery } });
    expect(answer.codes).toEqual(['BAD_REQUEST']);
    expect(answer.status).toBe(400);
    expect(answer.fetches).toBe(0);
  });

  it('still refuses a mutation over GET, even by id', async () => {
    const answer = await send(test, { search: { documentId: restockId, variables: { id: '00000000-0000-4000-8000-000000000000', quantity: 1 } } });
    expect(answer.status).toBe(405);
    expect(answer.fetches).toBe(0);
  });

  it('works end to end with the SDK in hash-only mode: a mutation, then queries', async () => {
    const sku = `PQ-${process.pid}-${Date.now()}`;
    const { createProduct } = await admin.request(CreateProductDocument, {
      input: { sku, name: 'Persisted teapot', price: { amount: 2500, currency: 'EUR' }, stock: 3 },
    });
    expect(createProduct).toMatchObject({ sku, stock: 3 });
    const { restockProduct } = await admin.request(RestockProductDocument, { id: createProduct.id, quantity: 4 });
    expect(restockProduct.stock).toBe(7);
    const anonymous = createClient({ url: test.url, persistedDocuments: 'hash-only' });
    const { products } = await anonymous.request(ProductsDocument, { first: 5, search: 'persisted teapot' });
    expect(products.edges.map((edge) => edge.node.sku)).toEqual([sku]);
  });

  it('refuses the SDK in its default mode: it prints documents, and graphql-js prints other bytes than the manifest', async () => {
    expect(await codesOf(test.anonymous.request(ProductsDocument, { first: 1 }))).toEqual(['QUERY_NOT_IN_SAFELIST']);
  });

  it('applies to subscriptions too: the SDK follows an order by documentId; a free-form subscription is refused (WebSocket and SSE)', async () => {
    const [product] = await createProducts(admin, 1, { stock: 3 });
    await waitForCatalog(test, [product!]);
    const token = await test.token('alice', ['customer']);
    const alice = createClient({ url: test.url, token, persistedDocuments: 'hash-only' });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: `pq-live-${Date.now()}` },
    });
    const statuses: string[] = [];
    for await (const { orderStatusChanged } of alice.subscribe(OrderStatusChangedDocument, { id: placeOrder.id })) statuses.push(orderStatusChanged.status);
    expect(statuses.at(-1)).toBe('CONFIRMED');

    const freeForm = 'subscription($id: ID!) { orderStatusChanged(id: $id) { status } }';
    const printed = createClient({ url: test.url, token });
    expect(await codesOf((async () => {
      for await (const update of printed.subscribe(OrderStatusChangedDocument, { id: placeOrder.id })) void update;
    })())).toEqual(['QUERY_NOT_IN_SAFELIST']);
    const overSse = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: freeForm, variables: { id: placeOrder.id } }),
    });
    expect(overSse.status).toBe(403);
    expect(await overSse.json()).toMatchObject({ errors: [{ extensions: { code: 'QUERY_NOT_IN_SAFELIST' } }] });
  });
});

describe('default mode (persisted documents optional)', () => {
  let test: TestSupergraph;

  beforeAll(async () => {
    test = await startTestSupergraph();
  });
  afterAll(() => test?.stop());

  it('still runs free-form queries', async () => {
    const answer = await send(test, { body: { query: unknownQuery } });
    expect(answer.codes).toEqual([]);
    expect(answer.fetches).toBe(1);
    expect((await test.anonymous.request(ProductsDocument, { first: 1 })).products).toBeDefined();
  });

  it('runs manifest documents by id too, and answers PERSISTED_QUERY_NOT_FOUND for an unknown documentId', async () => {
    expectProducts(await send(test, { body: { documentId: productsId, variables: productsVariables } }));
    expectProducts(await send(test, { body: { extensions: apq(productsHash), variables: productsVariables } }));
    expectProducts(await send(test, { search: { documentId: productsId, variables: productsVariables } }));
    const unknown = await send(test, { body: { documentId: `sha256:${sha256(unknownQuery)}` } });
    expect(unknown.codes).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(unknown.fetches).toBe(0);
    const { products } = await createClient({ url: test.url, persistedDocuments: 'hash-only' }).request(ProductsDocument, { first: 1 });
    expect(products).toBeDefined();
  });

  it("keeps Apollo's automatic persisted queries for other operations", async () => {
    const query = '{ products(first: 2) { totalCount } }';
    expect((await send(test, { body: { extensions: apq(sha256(query)) } })).codes).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect((await send(test, { body: { query, extensions: apq(sha256(query)) } })).codes).toEqual([]);
    const byHash = await send(test, { body: { extensions: apq(sha256(query)) } });
    expect(byHash.codes).toEqual([]);
    expect(byHash.fetches).toBe(1);
  });
});
