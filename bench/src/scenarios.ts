import type { TestSupergraph } from '@shop/testing';

/** Page sizes measured; 100 is the largest page `orders(first:)` accepts. */
export const PAGE_SIZES = [1, 10, 100] as const;
/** seedOrders puts one line per product in every order, so this is also the product count. */
export const ITEMS_PER_ORDER = 5;

export type Target = 'router' | 'orders subgraph';

export interface Scenario {
  readonly target: Target;
  readonly first: number;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The JSON request body: the very bytes the sanity check verifies are the ones the load run sends. */
  readonly body: string;
}

// Spans all three subgraphs: orders, then products (item.product) and payments (order.payment).
const ROUTER_QUERY = `query BenchOrders($first: Int!) {
  orders(first: $first) { edges { node { id status items { quantity product { name price { amount } } } payment { status } } } }
}`;

// What the orders subgraph answers alone: it only holds product references.
const ORDERS_SUBGRAPH_QUERY = `query BenchOrders($first: Int!) {
  orders(first: $first) { edges { node { id status items { quantity product { id } } } } }
}`;

export async function buildScenarios(test: TestSupergraph): Promise<Scenario[]> {
  const ordersUrl = test.supergraph.orders?.url;
  if (!ordersUrl) throw new Error('The bench needs the orders subgraph');
  const json = { 'content-type': 'application/json' };
  const routerHeaders = { ...json, authorization: `Bearer ${await test.token('admin', ['admin'])}` };
  // The identity the router would forward after verifying an admin token (viewerToHeaders in @shop/graphql).
  // The router also authenticates itself to the subgraph (SUBGRAPH_SECRET_HEADER in @shop/graphql).
  const subgraphHeaders = { ...json, 'x-shop-user-id': 'admin', 'x-shop-user-roles': 'admin', 'x-shop-subgraph-secret': test.subgraphSecret('orders') };
  const scenario = (target: Target, url: string, headers: Record<string, string>, query: string) =>
    PAGE_SIZES.map((first): Scenario => ({ target, first, url, headers, body: JSON.stringify({ query, variables: { first } }) }));
  return [
    ...scenario('router', test.url, routerHeaders, ROUTER_QUERY),
    ...scenario('orders subgraph', ordersUrl, subgraphHeaders, ORDERS_SUBGRAPH_QUERY),
  ];
}

export function describeScenario(scenario: Scenario): string {
  return `${scenario.target}, first: ${scenario.first}`;
}

/** Sends the scenario's request once and returns the response text. */
export async function send(scenario: Scenario): Promise<string> {
  const response = await fetch(scenario.url, { method: 'POST', headers: scenario.headers, body: scenario.body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${describeScenario(scenario)}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

interface OrdersResult {
  data?: { orders?: { edges?: { node?: { items?: unknown[] } }[] } } | null;
  errors?: unknown[];
}

/** Throws unless the response has no errors and `first` orders with ITEMS_PER_ORDER items each. */
export function checkResponse(scenario: Scenario, text: string): void {
  const fail = (why: string) => new Error(`Sanity check failed (${describeScenario(scenario)}): ${why}\n${text.slice(0, 500)}`);
  let result: OrdersResult;
  try {
    result = JSON.parse(text) as OrdersResult;
  } catch {
    throw fail('the response is not JSON');
  }
  if (result.errors?.length) throw fail('the response has errors');
  const edges = result.data?.orders?.edges ?? [];
  if (edges.length !== scenario.first) throw fail(`expected ${scenario.first} edges, got ${edges.length}`);
  const short = edges.findIndex((edge) => edge.node?.items?.length !== ITEMS_PER_ORDER);
  if (short !== -1) throw fail(`edge ${short} does not have ${ITEMS_PER_ORDER} items`);
}
