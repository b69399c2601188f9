import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createLogger } from '@shop/observability';
import type { OutboxTables } from '@shop/outbox';
import { createClient, OrderDocument, PlaceOrderDocument, ProductsDocument } from '@shop/sdk';
import { createOrderableProducts, scrapeMetrics, settle, startTestSupergraph, waitForOutcome, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  // Every log line of every service, as JSON objects.
  const destination = { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) };
  test = await startTestSupergraph({ logger: createLogger('test', 'debug', destination) });
});
afterAll(() => test?.stop());

function origin(url: string): string {
  return new URL(url).origin;
}

async function envelopesIn(db: Kysely<OutboxTables>): Promise<{ type: string; aggregateId: string; requestId?: string }[]> {
  const rows = await db.selectFrom('outbox').select('envelope').execute();
  return rows.map((row) => (typeof row.envelope === 'string' ? JSON.parse(row.envelope) : row.envelope) as never);
}

describe('request ids', () => {
  it('answers the client’s x-request-id, and replaces one that is not a sane token', async () => {
    const kept = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-chosen.id:42' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(kept.headers.get('x-request-id')).toBe('client-chosen.id:42');
    const replaced = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'no spaces\tor "quotes" please' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('follows a checkout from the router through every subgraph and into each event of the saga', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const requestId = `checkout-trace-${Date.now()}`;
    const alice = createClient({ url: test.url, token: await test.token('alice', ['customer']), headers: { 'x-request-id': requestId } });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: requestId },
    });
    expect((await waitForOutcome(await test.customer('alice'), placeOrder.id)).status).toBe('CONFIRMED');
    await settle(test);

    // The events each subgraph wrote for this order carry the id of the request that started it.
    const { orders, products, payments } = test.supergraph;
    const forThisOrder = async (db: Kysely<OutboxTables>) =>
      (await envelopesIn(db)).filter((envelope) => envelope.aggregateId === placeOrder.id).map(({ type, requestId }) => ({ type, requestId }));
    expect(await forThisOrder(orders!.database.db)).toEqual([
      { type: 'OrderPlaced', requestId },
      { type: 'OrderConfirmed', requestId },
    ]);
    expect(await forThisOrder(products!.database.db)).toEqual([{ type: 'StockReserved', requestId }]);
    expect(await forThisOrder(payments!.database.db)).toEqual([{ type: 'PaymentSucceeded', requestId }]);

    // And so do the log lines: the router's, the orders subgraph's, and the consumers' in each service.
    const traced = logLines.filter((line) => line['requestId'] === requestId);
    expect(traced.some((line) => line['service'] === 'router' && line['msg'] === 'graphql request' && line['operation'] === 'PlaceOrder')).toBe(true);
    expect(traced.some((line) => line['service'] === 'orders' && line['msg'] === 'graphql request')).toBe(true);
    const handled = traced.filter((line) => line['msg'] === 'event handled').map((line) => `${String(line['service'])}:${String(line['type'])}`);
    expect(handled).toEqual(
      expect.arrayContaining(['products:OrderPlaced', 'payments:StockReserved', 'orders:PaymentSucceeded', 'products:OrderConfirmed']),
    );
  });
});

describe('/metrics', () => {
  it('is served by every service, each series labelled with its service', async () => {
    const { router, products, orders, payments, paymentProvider } = test.supergraph;
    const services = {
      router: origin(router!.url),
      products: products!.origin,
      orders: orders!.origin,
      payments: payments!.origin,
      'payment-provider': origin(paymentProvider!.url),
    };
    for (const [service, where] of Object.entries(services)) {
      const response = await fetch(`${where}/metrics`);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const scrape = await scrapeMetrics(where);
      expect(scrape.value('process_cpu_seconds_total', { service })).toBeGreaterThan(0);
    }
  });

  it('counts requests, subgraph calls, SQL per request, events and saga outcomes of a checkout', async () => {
    const { router, products, orders, payments } = test.supergraph;
    const before = {
      router: await scrapeMetrics(origin(router!.url)),
      orders: await scrapeMetrics(orders!.origin),
      payments: await scrapeMetrics(payments!.origin),
      products: await scrapeMetrics(products!.origin),
    };
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: `metrics-${Date.now()}` },
    });
    await waitForOutcome(alice, placeOrder.id);
    await alice.request(OrderDocument, { id: placeOrder.id });
    await expect(test.anonymous.request(ProductsDocument, { first: 200 })).rejects.toThrow(/BAD_USER_INPUT/);
    await settle(test);

    const after = {
      router: await scrapeMetrics(origin(router!.url)),
      orders: await scrapeMetrics(orders!.origin),
      payments: await scrapeMetrics(payments!.origin),
      products: await scrapeMetrics(products!.origin),
    };
    const delta = (service: keyof typeof after, name: string, labels?: Record<string, string>) =>
      after[service].value(name, labels) - before[service].value(name, labels);

    expect(delta('router', 'shop_graphql_requests_total', { operation: 'PlaceOrder', outcome: 'success' })).toBe(1);
    expect(delta('router', 'shop_graphql_errors_total', { operation: 'Products', code: 'BAD_USER_INPUT' })).toBe(1);
    expect(delta('router', 'shop_graphql_request_duration_seconds_count', { operation: 'PlaceOrder' })).toBe(1);
    expect(delta('router', 'shop_router_subgraph_requests_total', { subgraph: 'orders', outcome: 'success' })).toBeGreaterThanOrEqual(2);
    for (const subgraph of ['products', 'orders', 'payments']) {
      expect(after.router.value('shop_router_subgraph_breaker_state', { subgraph })).toBe(0);
    }
    // Each request the orders subgraph served observed its statement count.
    expect(delta('orders', 'shop_sql_statements_per_request_count')).toBeGreaterThanOrEqual(2);
    expect(delta('orders', 'shop_sql_statements_per_request_sum')).toBeGreaterThan(0);
    expect(delta('orders', 'shop_saga_outcomes_total', { outcome: 'CONFIRMED' })).toBe(1);
    expect(delta('products', 'shop_events_handled_total', { durable: 'products-from-orders', type: 'OrderPlaced', outcome: 'success' })).toBe(1);
    expect(delta('payments', 'shop_payment_provider_calls_total', { operation: 'charge', outcome: 'success' })).toBe(1);
    expect(after.payments.value('shop_payment_provider_breaker_state')).toBe(0);
    for (const service of ['orders', 'products', 'payments'] as const) {
      expect(after[service].has('shop_outbox_backlog')).toBe(true);
      expect(after[service].value('shop_outbox_backlog')).toBe(0);
    }
    expect(delta('orders', 'shop_outbox_published_total')).toBeGreaterThanOrEqual(2);
  });
});

describe('/metrics of a router facing the internet (ROUTER_METRICS_PORT)', () => {
  let exposed: TestSupergraph;
  beforeAll(async () => {
    exposed = await startTestSupergraph({ config: { router: { metricsPort: 0 } } });
  });
  afterAll(() => exposed?.stop());

  it('serves /metrics on the metrics port only, not on the public one', async () => {
    const router = exposed.supergraph.router!;
    await exposed.anonymous.request(ProductsDocument, { first: 1 });
    expect((await fetch(`${origin(router.url)}/metrics`)).status).toBe(404);
    expect(router.metricsOrigin).not.toBe(origin(router.url));
    const scrape = await scrapeMetrics(router.metricsOrigin);
    expect(scrape.value('shop_graphql_requests_total', { operation: 'Products', outcome: 'success', service: 'router' })).toBe(1);
    // The probes stay on the public port.
    expect((await fetch(`${origin(router.url)}/health`)).status).toBe(200);
  });
});
