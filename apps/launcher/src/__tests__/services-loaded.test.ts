import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'launcher-modules-'));
  // A module resolve hook that writes down every module the process loads.
  await writeFile(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.RECORD_MODULES_TO, resolved.url + '\\n');
  return resolved;
}
`,
  );
  await writeFile(join(dir, 'record.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  // The resolve hook does not see what CommonJS packages require() of each other (@apollo/gateway's own
  // dependencies), nor Node's internal modules: those are written down from require's cache and
  // process.moduleLoadList ("NativeModule internal/deps/undici/undici" as node:internal/deps/undici/undici)
  // as the process exits.
  await writeFile(
    join(dir, 'record-required.cjs'),
    `process.once('exit', () => {
  const { pathToFileURL } = require('node:url');
  const urls = Object.keys(require.cache).map((path) => pathToFileURL(path).href);
  const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => 'node:' + entry.slice('NativeModule '.length));
  require('node:fs').appendFileSync(process.env.RECORD_MODULES_TO, [...urls, ...builtins].join('\\n') + '\\n');
});
`,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * Starts `npm start` with SERVICES set, waits for its banner, stops it; the workspace files it loaded,
 * relative to the repository, and Node's own modules it loaded (`node:internal/…`).
 */
async function modulesLoadedBy(services: string): Promise<string[]> {
  const record = join(dir, `${services}.txt`);
  const child = spawn(process.execPath, ['--conditions=@shop/source', '--require', join(dir, 'record-required.cjs'), '--import', join(dir, 'record.mjs'), '--import', 'tsx', MAIN], {
    env: { ...process.env, SERVICES: services, PAYMENT_PROVIDER_PORT: '0', ORDERS_PORT: '0', ROUTER_PORT: '0', STOREFRONT_PORT: 'off', DATA_DIR: join(dir, 'data'), DATABASE_URL: '', NATS_URL: '', LOG_LEVEL: 'silent', RECORD_MODULES_TO: record },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Shop supergraph is up')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`SERVICES=${services} did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGTERM');
  await exited;
  const lines = (await readFile(record, 'utf8')).split('\n');
  const files = lines.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url)).filter((path) => path.startsWith(ROOT)).map((path) => path.slice(ROOT.length));
  return [...new Set([...files, ...lines.filter((line) => line.startsWith('node:'))])];
}

describe('a process loads only the code of the services it runs', () => {
  it('SERVICES=payment-provider loads the simulator, and no subgraph, router, gateway or database engine', async () => {
    const loaded = await modulesLoadedBy('payment-provider');
    expect(loaded).toContain('packages/payment-provider/src/simulator.ts');
    const services = loaded.filter((path) => /^(subgraphs\/|router\/src\/(?!config\.ts|settings\.ts|cors\.ts))/.test(path));
    // Of the router, only its settings: config.ts, the types and defaults it reads (settings.ts) and the CORS origins parser.
    expect(services, 'service code loaded').toEqual([]);
    const engines = loaded.filter((path) => /node_modules\/(@apollo\/(gateway|composition|server)|@electric-sql\/pglite|kysely|pg|@escape\.tech\/graphql-armor)\//.test(path));
    expect(engines, 'gateway, composition, PGlite, Kysely or pg loaded').toEqual([]);
  });

  it('SERVICES=orders loads the orders subgraph, and no other subgraph, no router code beyond its settings, no gateway', async () => {
    const loaded = await modulesLoadedBy('orders');
    expect(loaded).toContain('subgraphs/orders/src/subgraph.ts');
    const others = loaded.filter((path) => /^(subgraphs\/(?!orders\/)|router\/src\/(?!config\.ts|settings\.ts|cors\.ts))/.test(path));
    expect(others, 'other services\' code loaded').toEqual([]);
    const engines = loaded.filter((path) => /node_modules\/(@apollo\/(gateway|composition)|@escape\.tech\/graphql-armor)\//.test(path));
    expect(engines, 'gateway, composition or the operation limits loaded').toEqual([]);
    // An ES module import of node:http on Node 24 reads its lazy WebSocket export, which loads Node's own
    // undici (about 13 MB); @shop/runtime and the provider's client take node:http through getBuiltinModule.
    expect(loaded, "Node's own undici loaded").not.toContain('node:internal/deps/undici/undici');
  });

  it('SERVICES=router loads the gateway, and no subgraph, no database engine, no GraphiQL renderer until /graphiql is asked, and none of the gateway\'s telemetry', async () => {
    const loaded = await modulesLoadedBy('router');
    expect(loaded).toContain('router/src/gateway.ts');
    expect(loaded.filter((path) => path.startsWith('subgraphs/')), 'subgraph code loaded').toEqual([]);
    // The offline GraphiQL inlines its assets: about 30 MB of strings held for as long as it is loaded.
    const heavy = loaded.filter((path) => /node_modules\/(@graphql-yoga\/render-graphiql|@graphql-hive\/laboratory|@electric-sql\/pglite|kysely|pg|vite)\//.test(path));
    expect(heavy, 'GraphiQL, a database engine or Vite loaded').toEqual([]);
    // What @apollo/gateway requires for what the router never does (patches/README.md): Apollo's usage
    // telemetry (the OpenTelemetry SDK, cloud detectors, OTLP exporter), its default HTTP clients, ftv1 traces.
    expect(loaded, 'the gateway itself').toContainEqual(expect.stringMatching(/node_modules\/@apollo\/gateway\/dist\/executeQueryPlan\.js$/));
    const unused = loaded.filter((path) =>
      /node_modules\/(@opentelemetry\/(sdk-metrics|resources|exporter-metrics-otlp-http|resource-detector-[a-z-]+)|make-fetch-happen|node-fetch|@apollo\/usage-reporting-protobuf)\//.test(path),
    );
    expect(unused, "modules of the gateway's telemetry, default fetchers or traces loaded").toEqual([]);
  });
});
