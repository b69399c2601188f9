/**
 * The byte-copying hop of the gateway comparison (../byte-hop.ts), as its own process in front of a
 * plain HTTP server: the bench reads its figure as the least any hop costs, so it must pass requests
 * and answers through unchanged, and say plainly when it cannot.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@shop/events/testing';
import { startSideProcess, type SideProcess } from '../side-process.js';

describe('byte-hop: a process that copies bytes to a subgraph and back', () => {
  let upstream: http.Server;
  let hop: SideProcess;
  let hopUrl: string;
  let logDir: string;
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    upstream = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(201, { 'content-type': 'application/graphql-response+json; charset=utf-8', 'x-answered-by': 'upstream' });
        response.end('{"data":{"name":"Café ☕"}}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamOrigin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    // Nothing listens on the second upstream's port.
    const closedOrigin = `http://127.0.0.1:${await freePort()}`;
    const port = await freePort();
    hopUrl = `http://127.0.0.1:${port}`;
    logDir = await mkdtemp(join(tmpdir(), 'byte-hop-test-'));
    hop = await startSideProcess({
      name: 'the byte-copying hop',
      main: fileURLToPath(new URL('../byte-hop.ts', import.meta.url)),
      env: { HOP_PORT: String(port), HOP_UPSTREAMS: JSON.stringify({ products: upstreamOrigin, closed: closedOrigin }) },
      logFile: join(logDir, 'byte-hop.log'),
      isReady: async () => (await fetch(`${hopUrl}/nowhere`)).status === 404,
    });
  });

  afterAll(async () => {
    await hop?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it('sends the request to the upstream its first path segment names, and passes the answer back as it came', async () => {
    const body = '{"query":"{ name }","variables":{"note":"été"}}';
    const response = await fetch(`${hopUrl}/products/graphql?x=1`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shop-subgraph-secret': 's3cret' }, body });

    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(response.headers.get('x-answered-by')).toBe('upstream');
    expect(await response.text()).toBe('{"data":{"name":"Café ☕"}}');
    const request = seen.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', url: '/graphql?x=1', body });
    expect(request.headers['x-shop-subgraph-secret']).toBe('s3cret');
    expect(request.headers['content-type']).toBe('application/json');
  });

  it('answers 404 for a path naming no upstream, and 502 when the upstream cannot be reached', async () => {
    expect((await fetch(`${hopUrl}/orders/graphql`, { method: 'POST', body: '{}' })).status).toBe(404);
    const unreachable = await fetch(`${hopUrl}/closed/graphql`, { method: 'POST', body: '{}' });
    expect(unreachable.status).toBe(502);
    expect(await unreachable.text()).toMatch(/^upstream failed: .*ECONNREFUSED/);
  });
});
