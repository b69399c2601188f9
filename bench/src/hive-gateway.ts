/**
 * Hive Gateway over the committed supergraph, as a process of its own, for the
 * gateway comparison (./gateway-compare.ts). Started with `node --import tsx
 * bench/src/hive-gateway.ts` (with --conditions=@shop/source); reads:
 *
 * - HIVE_PORT: where it listens (127.0.0.1).
 * - HIVE_ROUTER_RUNTIME=1: plan with `@graphql-hive/router-runtime` (the Rust
 *   query planner) instead of the JavaScript one.
 * - PRODUCTS_URL, ORDERS_URL, PAYMENTS_URL and *_SUBGRAPH_SECRET: each
 *   subgraph's URL and the secret it expects, as the router gets them.
 *
 * It sends each subgraph what the router sends (router/src/gateway.ts): the
 * subgraph's secret, and the identity headers `x-shop-user-id` and
 * `x-shop-user-roles`, which here come from the client's request (the router
 * derives them from a verified token; this process verifies nothing). In-flight
 * deduplication of identical subgraph calls is off, as in the router, so both
 * gateways do the same work; HIVE_DEDUPLICATE_INFLIGHT=1 turns it on (the
 * bench's BENCH_SHARE_IN_FLIGHT=1, which turns on the router's too).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { SUPERGRAPH_PATH } from '@shop/schema';

const SUBGRAPHS = ['products', 'orders', 'payments'] as const;
const FORWARDED = ['x-shop-user-id', 'x-shop-user-roles', 'x-request-id'] as const;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (the gateway comparison of the bench sets it), got nothing`);
  return value;
}

const port = Number(required('HIVE_PORT'));
const routerRuntime = process.env['HIVE_ROUTER_RUNTIME'] === '1';

const gateway = createGatewayRuntime({
  supergraph: readFileSync(SUPERGRAPH_PATH, 'utf8'),
  ...(routerRuntime ? { unifiedGraphHandler } : {}),
  transportEntries: Object.fromEntries(
    SUBGRAPHS.map((name) => [
      name,
      {
        location: required(`${name.toUpperCase()}_URL`),
        headers: [['x-shop-subgraph-secret', required(`${name.toUpperCase()}_SUBGRAPH_SECRET`)]] as [string, string][],
        options: { deduplicateInflightRequests: process.env['HIVE_DEDUPLICATE_INFLIGHT'] === '1' },
      },
    ]),
  ),
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = request.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      return headers;
    },
  },
  logging: 'error',
  graphiql: false,
  landingPage: false,
});

const server = http.createServer(gateway);
server.listen(port, '127.0.0.1', () => {
  console.log(`Hive Gateway${routerRuntime ? ' + router-runtime' : ''} on http://127.0.0.1:${port}/graphql`);
});

function stop(): void {
  server.close();
  void Promise.resolve(gateway.dispose()).finally(() => process.exit(0));
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
