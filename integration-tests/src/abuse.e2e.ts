import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '@shop/router';
import { OrdersDocument, PlaceOrderDocument } from '@shop/sdk';
import { createOrderableProducts, startTestSupergraph, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;

beforeAll(async () => {
  test = await startTestSupergraph({
    config: {
      production: true,
      router: { production: true, introspection: false, limits: { ...DEFAULT_LIMITS, blockFieldSuggestions: true } },
    },
  });
});
afterAll(() => test?.stop());

interface Answer {
  status: number;
  codes: unknown[];
  messages: string[];
  fetches: number;
}

/** Sends a raw request to the router; reports the error codes and how many subgraph calls it caused. */
async function send(init: RequestInit & { path?: string }): Promise<Answer> {
  const before = test.subgraphFetches();
  const url = init.path ? `${new URL(test.url).origin}${init.path}` : test.url;
  const response = await fetch(url, init);
  const text = await response.text();
  let errors: { message: string; extensions?: { code?: unknown } }[] = [];
  try {
    errors = (JSON.parse(text) as { errors?: typeof errors }).errors ?? [];
  } catch {
    errors = [{ message: text.slice(0, 200) }];
  }
  return { status: response.status, codes: errors.map((e) => e.extensions?.code), messages: errors.map((e) => e.message), fetches: test.subgraphFetches() - before };
}

const postQuery = (query: string, variables: Record<string, unknown> = {}) =>
  send({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });

describe('operation limits in production mode: rejected before any subgraph is called', () => {
  it('refuses a query 50 levels deep', async () => {
    let selection = 'id';
    for (let level = 0; level < 25; level += 1) selection = level % 2 === 0 ? `order { ${selection} }` : `payment { ${selection} }`;
    const answer = await postQuery(`{ payment(id: "00000000-0000-4000-8000-000000000000") { ${selection} } }`);
    expect(answer.codes).toContain('OPERATION_LIMIT_EXCEEDED');
    expect(answer.fetches).toBe(0);
  });

  it('refuses 1,000 aliases', async () => {
    const fields = Array.from({ length: 1_000 }, (_, index) => `a${index}: __typename`).join(' ');
    const answer = await postQuery(`{ ${fields} }`);
    expect(answer.codes).toContain('OPERATION_LIMIT_EXCEEDED');
    expect(answer.fetches).toBe(0);
  });

  it('refuses 100 root fields', async () => {
    const answer = await postQuery(`{ ${'products { totalCount } '.repeat(100)} }`);
    expect(answer.codes).toContain('OPERATION_LIMIT_EXCEEDED');
    expect(answer.messages.join(' ')).toMatch(/at most 10 root fields, got 100/);
    expect(answer.fetches).toBe(0);
  });

  it('answers a spread of an undefined fragment named like an Object member with GRAPHQL_VALIDATION_FAILED, not a 500', async () => {
    for (const query of ['{ ...constructor }', 'query { ...hasOwnProperty products { totalCount } }', '{ products { ...toString } }']) {
      const answer = await postQuery(query);
      expect({ query, status: answer.status, codes: answer.codes }).toEqual({ query, status: 400, codes: expect.arrayContaining(['GRAPHQL_VALIDATION_FAILED']) });
      expect(answer.codes).not.toContain('INTERNAL_SERVER_ERROR');
      expect(answer.fetches).toBe(0);
    }
  });

  it('refuses first: 1000000 by its estimated cost, in a literal or a variable', async () => {
    for (const answer of [
      await postQuery('{ products(first: 1000000) { edges { node { id name } } } }'),
      await postQuery('query ($n: Int) { products(first: $n) { edges { node { id name } } } }', { n: 1_000_000 }),
    ]) {
      expect(answer.codes).toEqual(['OPERATION_LIMIT_EXCEEDED']);
      expect(answer.fetches).toBe(0);
    }
  });

  it('refuses a 3 MB body with 413', async () => {
    const answer = await postQuery(`{ products { totalCount } } # ${'x'.repeat(3 * 1024 * 1024)}`);
    expect(answer.status).toBe(413);
    expect(answer.codes).toEqual(['OPERATION_LIMIT_EXCEEDED']);
    expect(answer.fetches).toBe(0);
  });

  it('refuses a 3 MB body sent in chunks, with no length announced, with 413, and answers the next request', async () => {
    const before = test.subgraphFetches();
    const status = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      // node:http sends a body of unknown length chunked; the router finds it too large while reading.
      const request = http.request(test.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode, body }));
      });
      request.on('error', reject);
      request.write('{ "query": "{ products { totalCount } }", "padding": "');
      for (let sent = 0; sent < 3 * 1024 * 1024; sent += 64 * 1024) request.write('x'.repeat(64 * 1024));
      request.end('" }');
    });
    expect(status.status).toBe(413);
    expect((JSON.parse(status.body) as { errors: { extensions: { code: string } }[] }).errors.map((error) => error.extensions.code)).toEqual(['OPERATION_LIMIT_EXCEEDED']);
    expect(test.subgraphFetches() - before).toBe(0);
    expect((await postQuery('{ products(first: 1) { totalCount } }')).codes).toEqual([]);
  });

  it('forgets a request whose client leaves halfway through its body, and answers the next one', async () => {
    const before = test.subgraphFetches();
    await new Promise<void>((resolve, reject) => {
      const request = http.request(test.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
      request.on('error', () => resolve()); // the socket this test destroys
      request.on('response', () => reject(new Error('expected no answer to a request whose body never arrived')));
      request.write('{ "query": "{ products { totalCount } }", "pad');
      setTimeout(() => request.destroy(), 100);
    });
    expect(test.subgraphFetches() - before).toBe(0);
    expect((await postQuery('{ products(first: 1) { totalCount } }')).codes).toEqual([]);
  });

  it('refuses a body that is not JSON, or not a JSON object, with BAD_REQUEST, and answers the next request', async () => {
    for (const [body, message] of [
      ['{ "query": ', /^The request body is not valid JSON: /],
      ['"{ products { totalCount } }"', /^The request body must be a JSON object/],
      ['null', /^The request body must be a JSON object/],
    ] as const) {
      const answer = await send({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(answer.status, body).toBe(400);
      expect(answer.codes, body).toEqual(['BAD_REQUEST']);
      expect(answer.messages[0], body).toMatch(message);
      expect(answer.fetches).toBe(0);
    }
    expect((await postQuery('{ products(first: 1) { totalCount } }')).codes).toEqual([]);
  });

  it('refuses a text/plain POST and a GET mutation (CSRF prevention)', async () => {
    const textPlain = await send({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ products { totalCount } }' }) });
    expect(textPlain.status).toBe(400);
    const mutation = 'mutation { restockProduct(id: "00000000-0000-4000-8000-000000000000", quantity: 1) { id } }';
    const getMutation = await send({ method: 'GET', path: `/graphql?query=${encodeURIComponent(mutation)}`, headers: { 'apollo-require-preflight': 'true' } });
    expect(getMutation.status).toBe(405);
    const getWithoutPreflight = await send({ method: 'GET', path: `/graphql?query=${encodeURIComponent('{ products { totalCount } }')}` });
    expect(getWithoutPreflight.status).toBe(400);
    expect(textPlain.fetches + getMutation.fetches + getWithoutPreflight.fetches).toBe(0);
  });

  it('refuses introspection', async () => {
    const answer = await postQuery('{ __schema { types { name } } }');
    expect(answer.codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // In the project's words: the router's setting, not Apollo Server's constructor option.
    expect(answer.messages).toEqual(['Introspection is turned off on this router (production). Set GRAPHQL_INTROSPECTION=true on the router to allow it.']);
    expect(answer.fetches).toBe(0);
  });

  it('gives no field suggestions to a probe', async () => {
    const answer = await postQuery('{ prodcts { totalCount } }');
    expect(answer.codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.messages).toEqual(['Cannot query field "prodcts" on type "Query".']);
    expect(answer.fetches).toBe(0);
  });

  it('still answers an ordinary query', async () => {
    const answer = await postQuery('{ products(first: 5) { totalCount } }');
    expect(answer.codes).toEqual([]);
    expect(answer.fetches).toBe(1);
  });
});

describe('database failures in production mode', () => {
  // Whatever reveals the internals: SQL, relation names, stack frames, file paths, addresses.
  const LEAKS = /relation|does not exist|select|insert|orders_gone|\bat \S+ \(|\.ts:\d|node_modules|127\.0\.0\.1|localhost|postgres|pglite/i;

  it('answers a generic INTERNAL_SERVER_ERROR with no stack or SQL, writes nothing, and recovers', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const { db } = test.supergraph.orders!.database;
    const ordersBefore = await countOrders();
    // Break the orders database under the running service: every statement on `orders` now fails.
    await db.schema.alterTable('orders').renameTo('orders_gone').execute();
    try {
      const read = await alice.execute(OrdersDocument, { first: 5 });
      const write = await alice.execute(PlaceOrderDocument, {
        input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: 'broken-database' },
      });
      // The subgraph itself, called with the router's secret, masks just the same.
      const direct = await fetch(test.supergraph.orders!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-shop-subgraph-secret': test.subgraphSecret('orders'), 'x-shop-user-id': 'alice', 'x-shop-user-roles': 'customer' },
        body: JSON.stringify({ query: '{ orders(first: 5) { totalCount } }' }),
      }).then((response) => response.json() as Promise<{ errors?: { message: string; extensions?: { code?: string } }[] }>);
      for (const answer of [read, write, direct]) {
        expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
        expect(answer.errors?.[0]?.message).toBe('Internal server error');
        expect(JSON.stringify(answer)).not.toMatch(LEAKS);
      }
    } finally {
      await db.schema.alterTable('orders_gone').renameTo('orders').execute();
    }
    // Nothing half-written, and the next request is served.
    expect(await countOrders()).toBe(ordersBefore);
    const { orders } = await alice.request(OrdersDocument, { first: 5 });
    expect(orders.totalCount).toBeGreaterThanOrEqual(0);
  });

  async function countOrders(): Promise<number> {
    const { db } = test.supergraph.orders!.database;
    const { count } = await db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
    return Number(count);
  }
});

describe('/ready of a production router', () => {
  it('answers 503 without naming internal addresses while a subgraph is away, and 200 once it is back', async () => {
    const ready = `${new URL(test.url).origin}/ready`;
    await test.supergraph.stopSubgraph('payments');
    try {
      const answer = await fetch(ready);
      expect(answer.status).toBe(503);
      expect(await answer.json()).toEqual({ status: 'not ready' });
    } finally {
      await test.supergraph.restartSubgraph('payments');
    }
    expect((await fetch(ready)).status).toBe(200);
  });
});
