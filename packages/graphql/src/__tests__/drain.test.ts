import { parse } from 'graphql';
import { expect, it } from 'vitest';
import { createLogger, createMetricsRegistry } from '@shop/observability';
import { startSubgraphServer } from '../subgraph-server.js';

it('finishes a request in flight when stopped, and takes no new one', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const inFlight = new Promise<void>((resolve) => (started = resolve));
  const server = await startSubgraphServer({
    name: 'slow',
    typeDefs: parse('type Query { slow: String! }'),
    resolvers: {
      Query: {
        slow: async () => {
          started();
          await released;
          return 'finished';
        },
      },
    },
    createContext: () => ({}),
    checkReady: async () => undefined,
    metrics: createMetricsRegistry('slow'),
    port: 0,
    logger: createLogger('test', 'silent'),
    development: false,
  });

  const request = fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ slow }' }) });
  await inFlight;
  const stopping = server.stop();
  // The listener closes at once: a new connection is refused while the old request runs.
  await expect.poll(() => fetch(`${server.origin}/health`).then(() => 'answered', () => 'refused')).toBe('refused');
  release();
  const response = await request;
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ data: { slow: 'finished' } });
  await stopping;
});
