/**
 * The router passes a subgraph's data on as is when a query is one call to
 * one subgraph selecting exactly what the client asked (router/src/answer-as-is.ts).
 * Each query here is sent twice: as written, and with `@include(if: true)` on
 * its root field, which the as-is path never takes (a directive to evaluate).
 * Both answers must be the same bytes, and only the first may be passed on as is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducts, seedOrders, startTestSupergraph, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;

beforeAll(async () => {
  test = await startTestSupergraph();
  const products = await createProducts(test.admin, 3);
  await seedOrders(test, { customerId: 'as-is', count: 2, products });
});
afterAll(() => test?.stop());

/** shop_router_answers_as_is_total, all subgraphs. */
async function answeredAsIs(): Promise<number> {
  const metric = test.supergraph.router!.metrics.getSingleMetric('shop_router_answers_as_is_total');
  const { values } = await metric!.get();
  return values.reduce((sum, { value }) => sum + value, 0);
}

async function post(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<{ text: string; asIs: boolean }> {
  const before = await answeredAsIs();
  const response = await fetch(test.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return { text: await response.text(), asIs: (await answeredAsIs()) > before };
}

/** The query with `@include(if: true)` on its first root field (`products(` or `orders(`), so that it is shaped as usual. */
function shapedAsUsual(query: string): string {
  const shaped = query.replace(/\b(products|orders|product)(\([^)]*\))?\s*\{/, (_match, field: string, args = '') => `${field}${args} @include(if: true) {`);
  expect(shaped).not.toBe(query);
  return shaped;
}

async function compare(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const asWritten = await post(query, variables, token);
  const usual = await post(shapedAsUsual(query), variables, token);
  expect(usual.asIs).toBe(false);
  expect(asWritten.text).toBe(usual.text);
  return { asIs: asWritten.asIs, answer: JSON.parse(asWritten.text) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] } };
}

describe('answers passed on as the subgraph sent them', () => {
  it('a page of products: passed on as is, the same bytes as when shaped', async () => {
    const { asIs, answer } = await compare('{ products(first: 3) { totalCount edges { cursor node { id sku name price { amount currency } stock active } } } }');
    expect(asIs).toBe(true);
    const products = answer.data!['products'] as { edges: { node: { sku: string } }[] };
    expect(products.edges).toHaveLength(3);
  });

  it('aliases, variables, __typename below the root, fragments on the same type: passed on as is', async () => {
    const { asIs, answer } = await compare(
      `query Page($n: Int!) { page: products(first: $n) { edges { node { __typename ...Names label: name ... on Product { cost: price { amount } } } } } }
       fragment Names on Product { id sku }`,
      { n: 2 },
    );
    expect(asIs).toBe(true);
    const node = (answer.data!['page'] as { edges: { node: Record<string, unknown> }[] }).edges[0]!.node;
    expect(Object.keys(node)).toEqual(['__typename', 'id', 'sku', 'label', 'cost']);
    expect(node['__typename']).toBe('Product');
  });

  it('__typename at the root: shaped as usual', async () => {
    const { asIs, answer } = await compare('{ __typename products(first: 1) { totalCount } }');
    expect(asIs).toBe(false);
    expect(answer.data!['__typename']).toBe('Query');
  });

  it('a field asked twice under one name: shaped as usual', async () => {
    const { asIs } = await compare('{ products(first: 1) { totalCount totalCount edges { node { id } } } }');
    expect(asIs).toBe(false);
  });

  it('a subgraph answer with errors: shaped as usual, the errors kept', async () => {
    const { asIs, answer } = await compare('{ product(id: "not-a-product-id") { id name } }');
    expect(asIs).toBe(false);
    expect(answer.errors?.length ?? 0).toBeGreaterThan(0);
    expect(answer.errors![0]!.extensions?.code).toBeDefined();
  });

  it('a query across subgraphs: shaped as usual', async () => {
    const token = await test.token('as-is', ['customer']);
    const { asIs, answer } = await compare('{ orders(first: 2) { edges { node { id items { quantity product { name } } } } } }', {}, token);
    expect(asIs).toBe(false);
    expect((answer.data!['orders'] as { edges: unknown[] }).edges).toHaveLength(2);
  });

  it('one subgraph but an enum the client reads: passed on as is when the API schema has all its values', async () => {
    const token = await test.token('as-is', ['customer']);
    const { asIs, answer } = await compare('{ orders(first: 2) { totalCount edges { node { id status } } } }', {}, token);
    expect(asIs).toBe(true);
    expect((answer.data!['orders'] as { totalCount: number }).totalCount).toBe(2);
  });
});
