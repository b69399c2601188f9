/**
 * Starts ./hive-gateway.ts (Hive Gateway over the committed supergraph) as a
 * process of its own, in front of running subgraphs: the gateway comparison of
 * the bench and the second-gateway conformance test both use it.
 */
import { fileURLToPath } from 'node:url';
import { freePort } from '@shop/events/testing';
import { startSideProcess, type SideProcess } from './side-process.js';

const SUBGRAPHS = ['products', 'orders', 'payments'] as const;
const MAIN = fileURLToPath(new URL('./hive-gateway.ts', import.meta.url));

export interface HiveGatewayProcess extends SideProcess {
  /** Its GraphQL endpoint. */
  readonly url: string;
}

export async function startHiveGateway(options: {
  /** Each subgraph's GraphQL endpoint and the secret it expects in x-shop-subgraph-secret. */
  subgraphs: Record<(typeof SUBGRAPHS)[number], { url: string; secret: string }>;
  /** Plan with @graphql-hive/router-runtime (the Rust query planner). */
  routerRuntime?: boolean;
  /** Identical subgraph calls in flight share one request (Hive Gateway's default; off unless true). */
  deduplicateInflight?: boolean;
  /** Where its output goes. */
  logFile: string;
}): Promise<HiveGatewayProcess> {
  const port = await freePort();
  const subgraphEnv = Object.fromEntries(
    SUBGRAPHS.flatMap((name) => [
      [`${name.toUpperCase()}_URL`, options.subgraphs[name].url],
      [`${name.toUpperCase()}_SUBGRAPH_SECRET`, options.subgraphs[name].secret],
    ]),
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  const started = await startSideProcess({
    name: 'Hive Gateway',
    main: MAIN,
    env: { HIVE_PORT: String(port), HIVE_ROUTER_RUNTIME: options.routerRuntime ? '1' : '0', HIVE_DEDUPLICATE_INFLIGHT: options.deduplicateInflight ? '1' : '0', ...subgraphEnv },
    logFile: options.logFile,
    isReady: async () => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      await response.arrayBuffer();
      return response.ok;
    },
  });
  return { url, ...started };
}
