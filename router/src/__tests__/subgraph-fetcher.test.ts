import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry } from '@shop/observability';
import { createSubgraphFetcher, createSubgraphMetrics } from '../subgraph-fetcher.js';

/** A stand-in subgraph whose behaviour each test sets: answer, hang, or fail with 503. */
let mode: 'answer' | 'hang' | 'fail' = 'answer';
let calls = 0;
let url: string;
const server = http.createServer((_req, res) => {
  calls += 1;
  if (mode === 'hang') return; // never answers
  res.writeHead(mode === 'fail' ? 503 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data: { ok: true } }));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function fetcherFor(subgraph: string) {
  const registry = createMetricsRegistry('router');
  const metrics = createSubgraphMetrics(registry);
  const { fetch: fetcher } = createSubgraphFetcher(subgraph, {
    timeoutMs: 150,
    breakerFailures: 2,
    breakerHalfOpenAfterMs: 300,
    metrics,
    logger: createLogger('test', 'silent'),
  });
  const read = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values.find((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value ?? 0;
  return { fetcher, read };
}

const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' };

describe('the router’s subgraph fetcher', () => {
  it('times out a subgraph that does not answer, then opens the breaker and stops calling it', async () => {
    const { fetcher, read } = fetcherFor('hanging');
    mode = 'hang';
    calls = 0;
    await expect(fetcher(url, post)).rejects.toThrow(/no answer within 150 ms/);
    await expect(fetcher(url, post)).rejects.toThrow();
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'hanging', outcome: 'timeout' })).toBe(2);
    expect(await read('shop_router_subgraph_breaker_state', { subgraph: 'hanging' })).toBe(2);
    // Open: refused without a call.
    await expect(fetcher(url, post)).rejects.toThrow(/circuit breaker is open/);
    expect(calls).toBe(2);
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'hanging', outcome: 'rejected' })).toBe(1);

    // Half-open after 300 ms: the test call succeeds and closes the breaker.
    mode = 'answer';
    await new Promise((resolve) => setTimeout(resolve, 350));
    const response = await fetcher(url, post);
    expect(await response.json()).toEqual({ data: { ok: true } });
    expect(await read('shop_router_subgraph_breaker_state', { subgraph: 'hanging' })).toBe(0);
  });

  it('counts HTTP 5xx as failures, and passes a good answer through whole', async () => {
    const { fetcher, read } = fetcherFor('flaky');
    mode = 'fail';
    await expect(fetcher(url, post)).rejects.toThrow(/HTTP 503/);
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'flaky', outcome: 'error' })).toBe(1);
    mode = 'answer';
    const response = await fetcher(url, post);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    // One failure is below the threshold of two: still closed.
    expect(await read('shop_router_subgraph_breaker_state', { subgraph: 'flaky' })).toBe(0);
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'flaky', outcome: 'success' })).toBe(1);
  });
});
