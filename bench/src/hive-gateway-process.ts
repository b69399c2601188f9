/**
 * Starts ./hive-gateway.ts (Hive Gateway over the committed supergraph) as a
 * process of its own, in front of running subgraphs: the gateway comparison of
 * the bench and the second-gateway conformance test both use it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@shop/events/testing';

const SUBGRAPHS = ['products', 'orders', 'payments'] as const;
const MAIN = fileURLToPath(new URL('./hive-gateway.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface HiveGatewayProcess {
  /** Its GraphQL endpoint. */
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
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
  const log = openSync(options.logFile, 'a');
  const subgraphEnv = Object.fromEntries(
    SUBGRAPHS.flatMap((name) => [
      [`${name.toUpperCase()}_URL`, options.subgraphs[name].url],
      [`${name.toUpperCase()}_SUBGRAPH_SECRET`, options.subgraphs[name].secret],
    ]),
  );
  const child = spawn(process.execPath, ['--conditions=@shop/source', '--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    stdio: ['ignore', log, log],
    env: { ...process.env, NODE_ENV: 'production', HIVE_PORT: String(port), HIVE_ROUTER_RUNTIME: options.routerRuntime ? '1' : '0', HIVE_DEDUPLICATE_INFLIGHT: options.deduplicateInflight ? '1' : '0', ...subgraphEnv },
  });
  closeSync(log);
  const url = `http://127.0.0.1:${port}/graphql`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Hive Gateway exited with ${child.exitCode} while starting; see ${options.logFile}`);
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      await response.arrayBuffer();
      if (response.ok) return { url, child, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Hive Gateway did not answer within 60 s; see ${options.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
