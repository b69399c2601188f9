import http from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, OrdersDocument, ProductsDocument } from '@shop/sdk';
import { createProducts, seedOrders, startTestSupergraph, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;
let origin: string;

/** The one origin this router lets browsers read answers from. */
const STOREFRONT = 'http://localhost:5173';

beforeAll(async () => {
  test = await startTestSupergraph({ config: { router: { corsOrigins: [STOREFRONT] } } });
  origin = new URL(test.url).origin;
});
afterAll(() => test?.stop());

describe('authentication', () => {
  async function codesWithToken(token: string): Promise<unknown[]> {
    const result = await createClient({ url: test.url, token }).execute(ProductsDocument, {});
    expect(result.data ?? null).toBeNull();
    expect(result.status).toBe(401);
    return result.errors?.map((error) => error.extensions?.['code']) ?? [];
  }

  it('passes the token’s subject to the subgraphs', async () => {
    const result = await (await test.customer('carol')).request(OrdersDocument, {});
    expect(result.orders.totalCount).toBe(0);
  });

  it('rejects an expired token with UNAUTHENTICATED', async () => {
    const expired = await test.token('alice', ['customer'], '-1m');
    expect(await codesWithToken(expired)).toEqual(['UNAUTHENTICATED']);
  });

  it('rejects a token signed with another secret with UNAUTHENTICATED', async () => {
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('some-other-secret-that-is-long-enough'));
    expect(await codesWithToken(forged)).toEqual(['UNAUTHENTICATED']);
  });

  it('rejects an unsigned ("alg: none") token with UNAUTHENTICATED', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'mallory', roles: ['admin'] })).toString('base64url');
    expect(await codesWithToken(`${header}.${payload}.`)).toEqual(['UNAUTHENTICATED']);
  });

  it('rejects a malformed Authorization header with UNAUTHENTICATED', async () => {
    const response = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic YWxpY2U6c2VjcmV0' },
      body: JSON.stringify({ query: '{ products { totalCount } }' }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('ignores identity headers sent by a client: only the token counts', async () => {
    const response = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-user-id': 'admin', 'x-shop-user-roles': 'admin' },
      body: JSON.stringify({ query: '{ orders { totalCount } }' }),
    });
    const body = (await response.json()) as { errors?: { extensions: { code: string } }[] };
    expect(body.errors?.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('errors', () => {
  it('answers a malformed operation with GRAPHQL_PARSE_FAILED and an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
    const post = (query: string) =>
      fetch(test.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(
        async (response) => ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
      );
    expect(await post('{ products { ')).toBe('GRAPHQL_PARSE_FAILED');
    expect(await post('{ products { nope } }')).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('caching', () => {
  it('marks query answers uncacheable (Cache-Control: no-store): no subgraph schema gives cache hints', async () => {
    const response = await fetch(test.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('answer shaping', () => {
  // The router builds each document's operation and reads its selections once, then reuses them for
  // every request of that document (patches/README.md): each answer must still follow its own variables.
  const DOCUMENT = `query Shaped($withPrice: Boolean!, $skipSku: Boolean!) {
    orders(first: 5) {
      edges {
        node {
          kind: __typename
          id
          items {
            quantity
            product {
              ...ProductParts
              price @include(if: $withPrice) { amount }
            }
          }
        }
      }
    }
  }
  fragment ProductParts on Product { __typename name code: sku @skip(if: $skipSku) }`;

  async function shaped(token: string, variables: { withPrice: boolean; skipSku: boolean }): Promise<unknown> {
    const response = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: DOCUMENT, variables }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  it('shapes each answer to the same document by its own @include and @skip variables', async () => {
    const products = await createProducts(test.admin, 2, { name: 'Shaped mug' });
    await seedOrders(test, { customerId: 'shaping', count: 2, products });
    const token = await test.token('shaping', ['customer']);
    const line = (product: (typeof products)[number], quantity: number, variables: { withPrice: boolean; skipSku: boolean }) => ({
      quantity,
      product: {
        __typename: 'Product',
        name: product.name,
        ...(variables.skipSku ? {} : { code: product.sku }),
        ...(variables.withPrice ? { price: { amount: product.price.amount } } : {}),
      },
    });
    for (const variables of [
      { withPrice: true, skipSku: false },
      { withPrice: false, skipSku: true },
      { withPrice: true, skipSku: true },
      { withPrice: false, skipSku: false },
    ]) {
      const data = (await shaped(token, variables)) as { orders: { edges: { node: { kind: string; id: string; items: unknown[] } }[] } };
      expect(data.orders.edges).toHaveLength(2);
      for (const { node } of data.orders.edges) {
        expect(node.kind).toBe('Order');
        expect(node.items, JSON.stringify(variables)).toEqual([line(products[0]!, 1, variables), line(products[1]!, 2, variables)]);
      }
    }
  });
});

describe('pages and probes', () => {
  it('answers /health and /ready on the router and every subgraph', async () => {
    const { products, orders, payments } = test.supergraph;
    for (const base of [origin, products!.origin, orders!.origin, payments!.origin]) {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
    }
  });

  it('serves Apollo Sandbox to browsers at the GraphQL endpoint', async () => {
    const response = await fetch(test.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/sandbox/i);
    // Shown when Apollo's CDN cannot be reached: where the offline explorer is.
    expect(html).toContain('<a href="/graphiql">/graphiql</a>');
  });

  it('serves an offline GraphiQL page with every asset inlined', async () => {
    const response = await fetch(`${origin}/graphiql`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('"endpoint":"/graphql"');
    // Nothing is loaded from another host: no external script or stylesheet.
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/i);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/i);
  });

  it('sends the offline GraphiQL page compressed to browsers that accept it', async () => {
    const plain = await fetch(`${origin}/graphiql`, { headers: { 'accept-encoding': 'identity' } });
    const plainBytes = (await plain.arrayBuffer()).byteLength;
    for (const encoding of ['br', 'gzip']) {
      // node:http, not fetch: fetch would decompress and hide the size on the wire.
      const { headers, bytes } = await new Promise<{ headers: http.IncomingHttpHeaders; bytes: number }>((resolve, reject) => {
        http.get(`${origin}/graphiql`, { headers: { 'accept-encoding': encoding } }, (response) => {
          let bytes = 0;
          response.on('data', (chunk: Buffer) => (bytes += chunk.length));
          response.on('end', () => resolve({ headers: response.headers, bytes }));
        }).on('error', reject);
      });
      expect(headers['content-encoding']).toBe(encoding);
      expect(bytes).toBeLessThan(plainBytes / 3);
    }
    expect(plain.headers.get('content-encoding')).toBeNull();
  });
});

describe('subgraph trust', () => {
  const forgedEntities = {
    query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id customerId } } }',
    variables: { r: [{ __typename: 'Order', id: '00000000-0000-4000-8000-000000000000' }] },
  };

  async function callDirectly(url: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-user-id': 'mallory', 'x-shop-user-roles': 'admin', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    return { status: response.status, codes: json.errors?.map((error) => error.extensions?.code) ?? [] };
  }

  it('refuses direct calls to every subgraph without the router’s secret, _entities and _service included', async () => {
    const { products, orders, payments } = test.supergraph;
    for (const subgraph of [products!, orders!, payments!]) {
      for (const body of [forgedEntities, { query: '{ _service { sdl } }' }]) {
        expect(await callDirectly(subgraph.url, body)).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
        expect(await callDirectly(subgraph.url, body, { 'x-shop-subgraph-secret': 'not-the-secret' })).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
      }
      // Probes stay open for orchestrators.
      expect((await fetch(`${subgraph.origin}/health`)).status).toBe(200);
    }
  });

  it('answers the router’s own calls, which carry the secret', async () => {
    const { orders } = test.supergraph;
    const answer = await callDirectly(orders!.url, { query: '{ _service { sdl } }' }, { 'x-shop-subgraph-secret': test.subgraphSecret('orders') });
    expect(answer).toEqual({ status: 200, codes: [] });
  });
});

describe('CORS on POST /graphql', () => {
  const post = (headers: Record<string, string>) =>
    fetch(test.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });

  it('lets an allowed origin read the answer and its request id; another origin gets no CORS header', async () => {
    const allowed = await post({ origin: STOREFRONT });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(allowed.headers.get('vary')).toContain('Origin');
    const stranger = await post({ origin: 'https://evil.example' });
    expect(stranger.status).toBe(200);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.headers.get('vary')).toContain('Origin');
  });

  it('answers an allowed origin’s preflight, and refuses another’s', async () => {
    const preflight = (from: string) => fetch(test.url, { method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': 'POST' } });
    expect((await preflight(STOREFRONT)).status).toBe(204);
    expect((await preflight('https://evil.example')).status).toBe(403);
  });
});
