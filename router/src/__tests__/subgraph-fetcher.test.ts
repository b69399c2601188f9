import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry } from '@shop/observability';
import { createSubgraphFetcher, createSubgraphMetrics } from '../subgraph-fetcher.js';

/**
 * A stand-in subgraph whose behaviour each test sets: answer, hang, fail with
 * 503, stall after the headers and half the body, or answer gzipped. It keeps
 * the last request's headers and body, and the client port of each call.
 */
let mode: 'answer' | 'hang' | 'fail' | 'stall' | 'gzip' | 'drop-reused' = 'answer';
let calls = 0;
let url: string;
let lastRequest: { headers: http.IncomingHttpHeaders; body: string } | undefined;
const clientPorts: number[] = [];
const requestsPerSocket = new WeakMap<object, number>();
const server = http.createServer((req, res) => {
  calls += 1;
  clientPorts.push(req.socket.remotePort!);
  const onThisSocket = (requestsPerSocket.get(req.socket) ?? 0) + 1;
  requestsPerSocket.set(req.socket, onThisSocket);
  // As a server closing an idle kept-alive connection just as the next call arrives on it.
  if (mode === 'drop-reused' && onThisSocket > 1) return void req.socket.destroy();
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    lastRequest = { headers: req.headers, body };
    if (mode === 'hang') return; // never answers
    const answer = JSON.stringify({ data: { ok: true } });
    if (mode === 'stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(answer.slice(0, 5)); // the rest never comes
      return;
    }
    if (mode === 'gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(answer));
    }
    res.writeHead(mode === 'fail' ? 503 : 200, { 'content-type': 'application/json', 'x-extra': 'one' });
    res.end(answer);
  });
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
  const { fetch: fetcher, close } = createSubgraphFetcher(subgraph, {
    timeoutMs: 150,
    breakerFailures: 2,
    breakerHalfOpenAfterMs: 300,
    metrics,
    logger: createLogger('test', 'silent'),
  });
  const read = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values.find((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value ?? 0;
  return { fetcher, read, close };
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

  it('keeps connections alive: six calls one after the other use at most two sockets, and headers and body go through unchanged', async () => {
    const { fetcher, close } = fetcherFor('keepalive');
    mode = 'answer';
    clientPorts.length = 0;
    const headers = { 'content-type': 'application/json', 'x-shop-subgraph-secret': 's3cret', 'x-request-id': 'req-1', 'x-shop-viewer-id': 'customer-1' };
    const body = '{"query":"{ ok }","variables":{"name":"Zoë"}}';
    for (let i = 0; i < 6; i += 1) {
      const response = await fetcher(url, { method: 'POST', headers, body });
      expect(await response.json()).toEqual({ data: { ok: true } });
      expect(response.headers.get('X-Extra')).toBe('one');
    }
    expect(clientPorts).toHaveLength(6);
    // undici's pool opens a second connection when the next call comes before the first is marked free.
    expect(new Set(clientPorts).size).toBeLessThanOrEqual(2);
    expect(lastRequest?.body).toBe(body);
    expect(lastRequest?.headers).toMatchObject({ 'x-shop-subgraph-secret': 's3cret', 'x-request-id': 'req-1', 'x-shop-viewer-id': 'customer-1', 'content-length': String(Buffer.byteLength(body)) });
    close();
  });

  it('sends a call again on a new connection when the kept-alive one it took was closed by the subgraph, and counts no failure', async () => {
    const { fetcher, read, close } = fetcherFor('idle-close');
    mode = 'drop-reused';
    clientPorts.length = 0;
    for (let i = 0; i < 6; i += 1) {
      const response = await fetcher(url, post);
      expect(await response.json()).toEqual({ data: { ok: true } });
    }
    // The calls that took a kept-alive connection met it dropped, then went through on a new one:
    // the subgraph saw a request per call plus one per drop, and each connection answered once.
    const dropped = clientPorts.length - 6;
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(new Set(clientPorts).size).toBe(6);
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'idle-close', outcome: 'success' })).toBe(6);
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'idle-close', outcome: 'error' })).toBe(0);
    close();
    mode = 'answer';
  });

  it('times out a subgraph that sends its headers and then stalls mid-body, and counts it for the breaker', async () => {
    const { fetcher, read, close } = fetcherFor('stalling');
    mode = 'stall';
    const startedAt = performance.now();
    await expect(fetcher(url, post)).rejects.toThrow(/no answer within 150 ms/);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    await expect(fetcher(url, post)).rejects.toThrow(/no answer within 150 ms/);
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'stalling', outcome: 'timeout' })).toBe(2);
    expect(await read('shop_router_subgraph_breaker_state', { subgraph: 'stalling' })).toBe(2);
    close();
  });

  it('counts a refused connection as an error for the breaker', async () => {
    const { fetcher, read, close } = fetcherFor('down');
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/graphql`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetcher(deadUrl, post)).rejects.toThrow(/ECONNREFUSED/);
    await expect(fetcher(deadUrl, post)).rejects.toThrow(/ECONNREFUSED/);
    expect(await read('shop_router_subgraph_requests_total', { subgraph: 'down', outcome: 'error' })).toBe(2);
    await expect(fetcher(deadUrl, post)).rejects.toThrow(/circuit breaker is open/);
    close();
  });

  it('reads a compressed answer', async () => {
    const { fetcher, close } = fetcherFor('gzip');
    mode = 'gzip';
    const response = await fetcher(url, post);
    expect(await response.json()).toEqual({ data: { ok: true } });
    close();
  });
});
