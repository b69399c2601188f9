import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@shop/observability';
import type { SubgraphName } from '@shop/schema';
import { DEVELOPMENT_JWT_SECRET, type RouterConfig } from '../config.js';
import { SUBGRAPH_UNAVAILABLE } from '../gateway.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { DEFAULT_PERSISTED_DOCUMENTS_MANIFEST } from '../persisted-documents.js';
import { signDevelopmentToken } from '../auth.js';
import { startRouter, type RunningRouter } from '../server.js';

const BREAK_MS = 500;
const resilience = { timeoutMs: 2_000, breakerFailures: 2, breakerHalfOpenAfterMs: BREAK_MS };

/**
 * A stand-in subgraph: `/ready` always answers 200 (the subgraph itself is
 * fine), `/graphql` answers as `mode` says: a products page, 503, or nothing
 * until `release()` (to hold a breaker's trial call in flight).
 */
class FakeSubgraph {
  mode: 'answer' | 'fail' | 'hold' = 'answer';
  graphqlCalls = 0;
  readonly held: http.ServerResponse[] = [];
  readonly server = http.createServer((req, res) => {
    if (req.url === '/ready') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    req.resume();
    this.graphqlCalls += 1;
    if (this.mode === 'fail') return void res.writeHead(503).end();
    if (this.mode === 'hold') return void this.held.push(res);
    FakeSubgraph.answer(res);
  });

  static answer(res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { products: { totalCount: 3 } } }));
  }

  release(): void {
    for (const res of this.held.splice(0)) FakeSubgraph.answer(res);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }
}

const fakes: Record<SubgraphName, FakeSubgraph> = { products: new FakeSubgraph(), orders: new FakeSubgraph(), payments: new FakeSubgraph() };
const products = fakes.products;

beforeAll(async () => {
  await Promise.all(Object.values(fakes).map((fake) => new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve))));
});
afterAll(async () => {
  for (const fake of Object.values(fakes)) {
    fake.server.closeAllConnections();
    await new Promise((resolve) => fake.server.close(resolve));
  }
});
beforeEach(() => {
  for (const fake of Object.values(fakes)) {
    fake.mode = 'answer';
    fake.release();
  }
});

const routers: RunningRouter[] = [];
afterEach(async () => {
  products.release();
  await Promise.all(routers.splice(0).map((router) => router.stop()));
});

async function start(options: { production?: boolean; logLines?: string[]; shareInFlight?: boolean } = {}): Promise<{ origin: string; graphqlUrl: string; router: RunningRouter }> {
  const config: RouterConfig = {
    production: options.production ?? false,
    port: 0,
    host: '127.0.0.1',
    jwt: { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, issuer: undefined, audience: undefined },
    subgraphUrls: { products: fakes.products.url, orders: fakes.orders.url, payments: fakes.payments.url },
    subgraphSecrets: {},
    introspection: false,
    limits: DEFAULT_LIMITS,
    maxBodyBytes: 1_048_576,
    persistedDocuments: { only: false, manifestPath: DEFAULT_PERSISTED_DOCUMENTS_MANIFEST },
    subgraphResilience: resilience,
    shareInFlightSubgraphCalls: options.shareInFlight ?? false,
  };
  const lines = options.logLines;
  const logger = createLogger('router-test', lines ? 'warn' : 'silent', lines ? { write: (line: string) => void lines.push(line) } : undefined);
  const router = await startRouter(config, logger);
  routers.push(router);
  return { origin: new URL(router.url).origin, graphqlUrl: router.url, router };
}

async function readiness(origin: string): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const response = await fetch(`${origin}/ready`);
  return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
}

/** A query only the products subgraph answers; resolves with the error codes it got ([] when it was answered). */
async function queryProducts(graphqlUrl: string): Promise<{ codes: unknown[]; totalCount: unknown }> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
  });
  const body = (await response.json()) as { data?: { products?: { totalCount: number } } | null; errors?: { extensions?: { code?: unknown } }[] };
  return { codes: (body.errors ?? []).map((error) => error.extensions?.code), totalCount: body.data?.products?.totalCount };
}

/** Fails products `breakerFailures` times in a row through the router: its breaker opens. Returns when it opened. */
async function openProductsBreaker(graphqlUrl: string): Promise<number> {
  products.mode = 'fail';
  for (let failure = 0; failure < resilience.breakerFailures; failure += 1) {
    expect((await queryProducts(graphqlUrl)).codes).toEqual([SUBGRAPH_UNAVAILABLE]);
  }
  const openedAt = Date.now();
  products.mode = 'answer';
  return openedAt;
}

describe('the router’s /ready and its circuit breakers', () => {
  it('answers 503 naming the subgraph while its breaker refuses calls, and 200 from when a call would reach it again', async () => {
    const { origin, graphqlUrl } = await start();
    expect(await readiness(origin)).toEqual({ status: 200, body: { status: 'ready' } });

    const openedAt = await openProductsBreaker(graphqlUrl);
    // products answers again and says it is ready, but the router would not call it:
    const notReady = await readiness(origin);
    expect(notReady.status).toBe(503);
    expect(notReady.body.reason).toMatch(/^products: circuit breaker open, calls refused for another \d+ ms$/);
    expect((await fetch(`${new URL(products.url).origin}/ready`)).status).toBe(200);
    // …and indeed it does not: the query is refused without a call.
    const callsBefore = products.graphqlCalls;
    expect((await queryProducts(graphqlUrl)).codes).toEqual([SUBGRAPH_UNAVAILABLE]);
    expect(products.graphqlCalls).toBe(callsBefore);

    await expect.poll(async () => (await readiness(origin)).status, { timeout: BREAK_MS * 4, interval: 25 }).toBe(200);
    // Not before the break was over (a little slack for the clock read after the breaker's own).
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(BREAK_MS - 20);
    // Ready means callable: the very next query reaches products (as the breaker's trial) and closes the breaker.
    expect(await queryProducts(graphqlUrl)).toEqual({ codes: [], totalCount: 3 });
    expect(await readiness(origin)).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('answers 503 while the half-open breaker’s trial call is in flight, and again when that trial fails', async () => {
    const { origin, graphqlUrl } = await start();
    await openProductsBreaker(graphqlUrl);
    await expect.poll(async () => (await readiness(origin)).status, { timeout: BREAK_MS * 4, interval: 25 }).toBe(200);

    products.mode = 'hold';
    const trial = queryProducts(graphqlUrl);
    await expect.poll(() => products.held.length, { timeout: 2_000, interval: 10 }).toBe(1);
    expect(await readiness(origin)).toEqual({
      status: 503,
      body: { status: 'not ready', reason: 'products: circuit breaker half-open, waiting for its trial call to succeed' },
    });
    products.mode = 'answer';
    products.release();
    expect(await trial).toEqual({ codes: [], totalCount: 3 });
    expect((await readiness(origin)).status).toBe(200);

    // A failed trial opens the breaker for another break: not ready again.
    await openProductsBreaker(graphqlUrl);
    await expect.poll(async () => (await readiness(origin)).status, { timeout: BREAK_MS * 4, interval: 25 }).toBe(200);
    products.mode = 'fail';
    expect((await queryProducts(graphqlUrl)).codes).toEqual([SUBGRAPH_UNAVAILABLE]);
    expect((await readiness(origin)).body.reason).toMatch(/^products: circuit breaker open, /);
  });

  it('names every subgraph whose breaker refuses calls', async () => {
    const { origin, graphqlUrl } = await start();
    await openProductsBreaker(graphqlUrl);
    // orders serves `orders`: fail it the same way.
    fakes.orders.mode = 'fail';
    for (let failure = 0; failure < resilience.breakerFailures; failure += 1) {
      await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ orders { totalCount } }' }) });
    }
    const reasons = (await readiness(origin)).body.reason?.split('; ').sort();
    expect(reasons).toEqual([
      expect.stringMatching(/^orders: circuit breaker open, calls refused for another \d+ ms$/),
      expect.stringMatching(/^products: circuit breaker open, calls refused for another \d+ ms$/),
    ]);
  });

  it('keeps the reason out of a production router’s answer, and logs it', async () => {
    const logLines: string[] = [];
    const { origin, graphqlUrl } = await start({ production: true, logLines });
    await openProductsBreaker(graphqlUrl);
    expect(await readiness(origin)).toEqual({ status: 503, body: { status: 'not ready' } });
    const logged = logLines.map((line) => JSON.parse(line) as { msg: string; reason?: string }).find((line) => line.msg === 'not ready');
    expect(logged?.reason).toMatch(/^products: circuit breaker open, /);
  });
});

/** Resolves once `condition` holds (polled every 10 ms), or fails after 5 s saying what it waited for. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function post(graphqlUrl: string, body: object, token?: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(graphqlUrl, { method: 'POST', headers, body: JSON.stringify(body) });
  return (await response.json()) as { data?: unknown; errors?: unknown[] };
}

describe('identical subgraph calls in flight (SUBGRAPH_SHARE_IN_FLIGHT)', () => {
  const query = { query: '{ products(first: 1) { totalCount } }' };
  const sharedCalls = async (router: RunningRouter) =>
    ((await router.metrics.getSingleMetric('shop_router_subgraph_calls_shared_total')?.get())?.values ?? []).reduce((sum, { value }) => sum + value, 0);

  it('on: five identical queries at once make one products call, and each gets the whole answer', async () => {
    const { graphqlUrl, router } = await start({ shareInFlight: true });
    const before = products.graphqlCalls;
    products.mode = 'hold';
    const answers = Array.from({ length: 5 }, () => post(graphqlUrl, query));
    // Four joined the first call: only then is it answered.
    await until('four calls to join the first', async () => (await sharedCalls(router)) === 4);
    expect(products.graphqlCalls - before).toBe(1);
    products.release();
    for (const answer of await Promise.all(answers)) expect(answer).toEqual({ data: { products: { totalCount: 3 } } });
    // Once answered, the next identical query makes a call of its own.
    products.mode = 'answer';
    expect(await post(graphqlUrl, query)).toEqual({ data: { products: { totalCount: 3 } } });
    expect(products.graphqlCalls - before).toBe(2);
  });

  it('off (the default): each query makes its own call', async () => {
    const { graphqlUrl, router } = await start();
    const before = products.graphqlCalls;
    products.mode = 'hold';
    const answers = Array.from({ length: 3 }, () => post(graphqlUrl, query));
    await until('three products calls', () => products.graphqlCalls - before === 3);
    products.release();
    for (const answer of await Promise.all(answers)) expect(answer).toEqual({ data: { products: { totalCount: 3 } } });
    expect(router.metrics.getSingleMetric('shop_router_subgraph_calls_shared_total')).toBeUndefined();
  });

  it('on: calls for different viewers, different variables, or of a mutation are never shared', async () => {
    const { graphqlUrl, router } = await start({ shareInFlight: true });
    const token = (sub: string, roles: ('customer' | 'admin')[]) => signDevelopmentToken(DEVELOPMENT_JWT_SECRET, { sub, roles, expiresIn: '5m' });
    const [alice, bob, admin] = await Promise.all([token('alice', ['customer']), token('bob', ['customer']), token('admin', ['admin'])]);
    const before = products.graphqlCalls;
    products.mode = 'hold';
    const createProduct = { query: 'mutation { createProduct(input: { sku: "S-1", name: "Mug", price: { amount: 100, currency: "EUR" }, stock: 1 }) { id } }' };
    const answers = [
      post(graphqlUrl, query, alice),
      post(graphqlUrl, query, bob),
      post(graphqlUrl, { query: 'query ($first: Int) { products(first: $first) { totalCount } }', variables: { first: 2 } }, alice),
      post(graphqlUrl, createProduct, admin),
      post(graphqlUrl, createProduct, admin),
    ];
    await until('five products calls', () => products.graphqlCalls - before === 5);
    expect(await sharedCalls(router)).toBe(0);
    products.release();
    await Promise.all(answers);
  });
});
