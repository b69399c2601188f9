import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '@shop/router';
import { startTestSupergraph, type TestSupergraph } from '@shop/testing';

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
    expect(answer.messages.join(' ')).toMatch(/introspection/i);
    expect(answer.fetches).toBe(0);
  });

  it('gives no field suggestions to a probe', async () => {
    const answer = await postQuery('{ prodcts { totalCount } }');
    expect(answer.codes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.messages.join(' ')).not.toMatch(/did you mean/i);
    expect(answer.fetches).toBe(0);
  });

  it('still answers an ordinary query', async () => {
    const answer = await postQuery('{ products(first: 5) { totalCount } }');
    expect(answer.codes).toEqual([]);
    expect(answer.fetches).toBe(1);
  });
});
