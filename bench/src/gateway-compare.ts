/**
 * The gateway comparison: the same four queries against the subgraph directly,
 * this router, Hive Gateway and Hive Gateway with `@graphql-hive/router-runtime`
 * (its Rust query planner), every service and each gateway a process of its
 * own on Postgres + NATS (./cluster.ts), in interleaved rounds so that drift
 * on a shared machine hits every target alike; medians are reported. A fifth
 * target, a process that only copies bytes to the subgraph and back
 * (./byte-hop.ts), shows what any hop in front of the subgraph costs here.
 *
 * Before any load, the three gateways' answers to each query must be
 * identical after JSON normalisation, and the hop's the subgraph's. Each load run reports requests per
 * second, p50 and p99 (wrk when installed, else autocannon), the CPU each
 * process (gateway, products, orders, payments) spent per request and the
 * gateway's peak RSS, sampled during the run. With `profile`, the router runs
 * under `--cpu-prof` and its self time by package is printed at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort } from '@shop/events/testing';
import { REPO_ROOT, startCluster, type Cluster } from './cluster.js';
import { createCatalog, graphql, PLACE_ORDER, type CreatedProduct } from './http-client.js';
import { startHiveGateway, type HiveGatewayProcess } from './hive-gateway-process.js';
import { startSideProcess, type SideProcess } from './side-process.js';
import { READER_APPLICATION_NAME } from './invariants.js';
import { readProcStat, rssMb } from './proc.js';
import { summariseCpuProfile, type Window } from './cpu-profile.js';

/** Products in the catalog: 100 orders of 5 lines reference 500 products, 24 of them distinct (the issue's figure). */
const PRODUCT_COUNT = 24;
const ORDER_COUNT = 100;
const LINES_PER_ORDER = 5;
const CONNECTIONS = 20;
const WARMUP_SECONDS = 1;

/** `byte-hop`: ./byte-hop.ts in front of the subgraph "direct" means, the least any hop costs here. */
export const TARGETS = ['direct', 'byte-hop', 'router', 'hive', 'hive+router-runtime'] as const;
export type GatewayTarget = (typeof TARGETS)[number];
/** The targets that are processes of the bench's own (not of the cluster), each with its URL. */
type SideTarget = Exclude<GatewayTarget, 'direct' | 'router'>;
type Sides = Record<SideTarget, SideProcess & { url: string }>;

const PRODUCTS_QUERY = 'query BenchProducts { products(first: 20) { edges { node { id sku name price { amount currency } stock } } } }';
const ORDERS_QUERY = `query BenchOrders($first: Int!) {
  orders(first: $first) { edges { node { id status items { quantity product { name price { amount } } } payment { status } } } }
}`;
// What the orders subgraph answers alone: it only holds product references.
const ORDERS_SUBGRAPH_QUERY = `query BenchOrders($first: Int!) {
  orders(first: $first) { edges { node { id status items { quantity product { id } } } } }
}`;

interface Query {
  name: string;
  /** Which subgraph "direct" means for this query. */
  subgraph: 'products' | 'orders';
  anonymous: boolean;
  body: string;
  directBody: string;
}

const QUERIES: Query[] = [
  { name: 'products(first: 20), anonymous', subgraph: 'products', anonymous: true, body: JSON.stringify({ query: PRODUCTS_QUERY }), directBody: JSON.stringify({ query: PRODUCTS_QUERY }) },
  ...[1, 10, 100].map((first) => ({
    name: `orders(first: ${first}) → items → product, payment`,
    subgraph: 'orders' as const,
    anonymous: false,
    body: JSON.stringify({ query: ORDERS_QUERY, variables: { first } }),
    directBody: JSON.stringify({ query: ORDERS_SUBGRAPH_QUERY, variables: { first } }),
  })),
];

/**
 * The router's profile summary covers its measured runs of this query: the issue profiled `first: 10`;
 * BENCH_PROFILE_QUERY picks another by part of its name (e.g. `first: 100`).
 */
const PROFILED_QUERY = process.env['BENCH_PROFILE_QUERY'] ? queriesNamed('BENCH_PROFILE_QUERY', 'one')[0]!.name : 'orders(first: 10) → items → product, payment';

/**
 * BENCH_SHARE_IN_FLIGHT=1: identical subgraph calls in flight share one request, in the router
 * (SUBGRAPH_SHARE_IN_FLIGHT) and in both Hive Gateways (their default). Off by default, so every
 * gateway makes every call.
 */
const SHARE_IN_FLIGHT = process.env['BENCH_SHARE_IN_FLIGHT'] === '1';

/** BENCH_QUERY runs only the queries whose name contains it (e.g. `first: 100`); all four by default. */
const SELECTED_QUERIES = process.env['BENCH_QUERY'] ? queriesNamed('BENCH_QUERY', 'some') : QUERIES;

/** The queries whose name contains the variable's text: exactly one, or at least one. */
function queriesNamed(variable: string, how: 'one' | 'some'): Query[] {
  const value = process.env[variable] ?? '';
  const matches = QUERIES.filter((query) => query.name.includes(value));
  if (how === 'one' ? matches.length !== 1 : matches.length === 0) {
    throw new Error(`${variable}="${value}" must name ${how === 'one' ? 'one' : 'some'} of: ${QUERIES.map((query) => query.name).join('; ')}`);
  }
  return matches;
}

/** The processes whose CPU a run reads: the gateway under test (none for direct) and the three subgraphs. */
const MEASURED = ['gateway', 'products', 'orders', 'payments'] as const;
type Measured = (typeof MEASURED)[number];

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU ms per request of each process over the run. */
  cpuMsPerRequest: Record<Measured, number>;
  /** Highest RSS of the gateway process (the subgraph for direct) sampled during the run, MB. */
  peakRssMb: number;
  /** Highest RSS of each subgraph process sampled during the run, MB. */
  subgraphPeakRssMb: Record<SubgraphMeasured, number>;
}

type SubgraphMeasured = Exclude<Measured, 'gateway'>;
const SUBGRAPHS_MEASURED = ['products', 'orders', 'payments'] as const satisfies readonly SubgraphMeasured[];

export interface GatewayComparisonResults {
  context: { connections: number; durationSeconds: number; rounds: number; loadGenerator: string; products: number; orders: number; linesPerOrder: number };
  /** Per query and target, one run per round. */
  runs: Record<string, Record<GatewayTarget, Run[]>>;
  medians: Record<string, Record<GatewayTarget, Run>>;
  /**
   * Per query, one target's req/s over another's in each round (the router's over Hive + router-runtime's and
   * over the subgraph's, the hop's over the subgraph's; each pair ran minutes apart at most): the spread says
   * how far the machine drifted, which a ratio of medians hides.
   */
  roundRatios: Record<string, { overHiveRouterRuntime: number[]; overDirect: number[]; byteHopOverDirect: number[] }>;
  /** Peak RSS of each process under this router's load alone, MB (see measureRouterLoadMemory). */
  routerLoadPeakRssMb: Record<'router' | SubgraphMeasured, number>;
  routerProfile?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** 100 orders of 5 lines over 24 products, placed through the router, and the saga at rest (every payment settled). */
async function seed(cluster: Cluster): Promise<void> {
  const products: CreatedProduct[] = await createCatalog(
    cluster,
    Array.from({ length: PRODUCT_COUNT }, (_, index) => ({ sku: `GW-${index}`, name: `Gateway bench product ${index}`, amount: 100 + index, stock: 1_000_000 })),
  );
  const customer = await cluster.token('bench-customer', ['customer']);
  let next = 0;
  const placeOne = async (): Promise<void> => {
    for (let index = next++; index < ORDER_COUNT; index = next++) {
      const items = Array.from({ length: LINES_PER_ORDER }, (_, line) => ({ productId: products[(index * LINES_PER_ORDER + line) % PRODUCT_COUNT]!.id, quantity: 1 + line }));
      await graphql(cluster.routerUrl, customer, PLACE_ORDER, { input: { items, paymentToken: 'tok_visa', idempotencyKey: `gateway-bench-${index}` } }, 60_000);
    }
  };
  await Promise.all(Array.from({ length: 10 }, placeOne));
  const client = new pg.Client({ connectionString: cluster.databaseUrl('orders'), application_name: READER_APPLICATION_NAME });
  await client.connect();
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { rows } = await client.query<{ pending: number }>("select count(*)::int as pending from orders.orders where status = 'PENDING'");
      if (rows[0]!.pending === 0) break;
      if (Date.now() > deadline) throw new Error(`${rows[0]!.pending} orders still PENDING after 120 s; expected the saga to settle all ${ORDER_COUNT}`);
      await sleep(250);
    }
  } finally {
    await client.end();
  }
}

function startGateway(cluster: Cluster, routerRuntime: boolean, logDir: string): Promise<HiveGatewayProcess> {
  const subgraph = (name: 'products' | 'orders' | 'payments') => ({ url: `${cluster.urls[name]}/graphql`, secret: cluster.subgraphSecrets[name] });
  return startHiveGateway({
    subgraphs: { products: subgraph('products'), orders: subgraph('orders'), payments: subgraph('payments') },
    routerRuntime,
    deduplicateInflight: SHARE_IN_FLIGHT,
    logFile: join(logDir, routerRuntime ? 'hive-router-runtime.log' : 'hive.log'),
  });
}

interface Request {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** ./byte-hop.ts in front of the products and orders subgraphs: `<url>/products/graphql`, `<url>/orders/graphql`. */
async function startByteHop(cluster: Cluster, logDir: string): Promise<SideProcess & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = await startSideProcess({
    name: 'the byte-copying hop',
    main: fileURLToPath(new URL('./byte-hop.ts', import.meta.url)),
    env: { HOP_PORT: String(port), HOP_UPSTREAMS: JSON.stringify({ products: cluster.urls.products, orders: cluster.urls.orders }) },
    logFile: join(logDir, 'byte-hop.log'),
    isReady: async () => {
      const response = await fetch(`${url}/products/health`);
      await response.arrayBuffer();
      return response.ok;
    },
  });
  return { url, ...started };
}

function requestFor(cluster: Cluster, target: GatewayTarget, query: Query, sides: Sides, adminToken: string): Request {
  const json = { 'content-type': 'application/json' };
  const identity: Record<string, string> = query.anonymous ? {} : { 'x-shop-user-id': 'admin', 'x-shop-user-roles': 'admin' };
  switch (target) {
    case 'direct':
      return {
        url: `${cluster.urls[query.subgraph]}/graphql`,
        headers: { ...json, ...identity, 'x-shop-subgraph-secret': cluster.subgraphSecrets[query.subgraph] },
        body: query.directBody,
      };
    case 'byte-hop':
      return { ...requestFor(cluster, 'direct', query, sides, adminToken), url: `${sides['byte-hop'].url}/${query.subgraph}/graphql` };
    case 'router':
      return { url: cluster.routerUrl, headers: { ...json, ...(query.anonymous ? {} : { authorization: `Bearer ${adminToken}` }) }, body: query.body };
    default:
      return { url: sides[target].url, headers: { ...json, ...identity }, body: query.body };
  }
}

/** The answer's text, after checking it is a 200 without errors. */
async function answer(request: Request, what: string): Promise<string> {
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: expected HTTP 200, got ${response.status}: ${text.slice(0, 300)}`);
  const parsed = JSON.parse(text) as { errors?: unknown[] };
  if (parsed.errors?.length) throw new Error(`${what}: expected no errors, got ${text.slice(0, 500)}`);
  return text;
}

/** JSON with sorted keys, so two answers that differ only in key order or whitespace compare equal. */
function normalise(text: string): string {
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sort((value as Record<string, unknown>)[key])]));
    }
    return value;
  };
  return JSON.stringify(sort(JSON.parse(text)));
}

const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => existsSync(path));

/**
 * autocannon runs in this process, in JavaScript: 0.07-0.1 CPU ms a request on `products(first: 20)`
 * against 0.015-0.025 for wrk (measured here), which on a two-core machine the gateway targets, needing
 * both cores, feel more than a subgraph alone, needing one. Its figures are not the docs' (wrk).
 */
const AUTOCANNON_WARNING =
  'WARNING: wrk is not installed (apt-get install wrk), so autocannon made the load from this process, taking CPU from the processes measured; ' +
  "the ratios are not comparable with the docs' figures (wrk).";

interface Load {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

function wrkMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!match) throw new Error(`expected a wrk duration such as 1.23ms, got "${value}"`);
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(match[1]) * factor;
}

async function loadWithWrk(request: Request, seconds: number, scriptDir: string): Promise<Load> {
  const longString = (text: string) => `[==[${text}]==]`;
  const script = join(scriptDir, 'request.lua');
  await writeFile(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = ${longString(request.body)}`,
      ...Object.entries(request.headers).map(([name, value]) => `wrk.headers[ ${longString(name)} ] = ${longString(value)}`),
    ].join('\n'),
  );
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(WRK!, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '--timeout', '10s', '-s', script, request.url]);
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  const find = (pattern: RegExp, what: string) => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`expected ${what} in wrk's output, got:\n${output}`);
    return match[1]!;
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1];
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = Number(non2xx ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0);
  if (errors > 0) throw new Error(`Load run against ${request.url} failed: expected only 2xx answers, got ${errors} errors or non-2xx\n${output}`);
  return {
    requestsPerSecond: Number(find(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec')),
    p50Ms: wrkMs(find(/^\s+50%\s+(\S+)/m, 'the 50% latency')),
    p99Ms: wrkMs(find(/^\s+99%\s+(\S+)/m, 'the 99% latency')),
    requests: Number(find(/(\d+) requests in/, 'the request count')),
  };
}

async function loadWithAutocannon(request: Request, seconds: number, expectBody: string): Promise<Load> {
  const result = await autocannon({ url: request.url, method: 'POST', headers: request.headers, body: request.body, connections: CONNECTIONS, duration: seconds, expectBody });
  if (result.errors + result.non2xx + result.mismatches > 0) {
    throw new Error(`Load run against ${request.url} failed: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.mismatches} unexpected bodies`);
  }
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result.requests.total };
}

export async function runGatewayComparison(options: {
  databaseUrl: string;
  natsUrl: string;
  durationSeconds: number;
  rounds: number;
  profile: boolean;
}): Promise<GatewayComparisonResults> {
  if (!WRK) console.error(AUTOCANNON_WARNING);
  const workDir = await mkdtemp(join(tmpdir(), 'shop-gateway-bench-'));
  const profileDir = join(workDir, 'profile');
  const cluster = await startCluster({
    postgres: { kind: 'shared', url: options.databaseUrl },
    nats: { kind: 'shared', url: options.natsUrl },
    name: 'gwbench',
    env: { LOG_LEVEL: 'error', NODE_ENV: 'production', SUBGRAPH_SHARE_IN_FLIGHT: SHARE_IN_FLIGHT ? 'true' : 'false' },
    ...(options.profile ? { nodeArgs: { router: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } } : {}),
    log: (line) => console.error(line),
  });
  const started: Partial<Sides> = {};
  try {
    console.error('seeding: products, orders and their payments…');
    await seed(cluster);
    started.hive = await startGateway(cluster, false, workDir);
    started['hive+router-runtime'] = await startGateway(cluster, true, workDir);
    started['byte-hop'] = await startByteHop(cluster, workDir);
    const sides = started as Sides;
    const adminToken = await cluster.token('admin', ['admin']);
    // `wrk -v` prints its version and exits 1.
    const loadGenerator = WRK ? `${spawnSync(WRK, ['-v']).stdout.toString().split('\n')[0]?.trim() ?? 'wrk'}, 1 thread` : 'autocannon';
    const gatewayPid = (target: GatewayTarget, query: Query): number => {
      const pid = target === 'direct' ? cluster.pid(query.subgraph) : target === 'router' ? cluster.pid('router') : sides[target].child.pid;
      if (pid === undefined) throw new Error(`no process for ${target}`);
      return pid;
    };

    // The gateways must give identical answers before anything is measured.
    const expected = new Map<string, Record<GatewayTarget, string>>();
    for (const query of QUERIES) {
      const bodies = {} as Record<GatewayTarget, string>;
      for (const target of TARGETS) bodies[target] = await answer(requestFor(cluster, target, query, sides, adminToken), `${target}, ${query.name}`);
      const reference = normalise(bodies.router);
      for (const target of ['hive', 'hive+router-runtime'] as const) {
        if (normalise(bodies[target]) !== reference) {
          throw new Error(`${query.name}: expected ${target} to answer as the router does\nrouter: ${bodies.router.slice(0, 400)}\n${target}: ${bodies[target].slice(0, 400)}`);
        }
      }
      if (bodies['byte-hop'] !== bodies.direct) {
        throw new Error(`${query.name}: expected the byte-copying hop to pass the subgraph's answer unchanged\ndirect: ${bodies.direct.slice(0, 400)}\nbyte-hop: ${bodies['byte-hop'].slice(0, 400)}`);
      }
      expected.set(query.name, bodies);
    }
    console.error("answers identical across router, Hive Gateway and Hive Gateway + router-runtime, and the hop's as the subgraph's");

    // The router's measured runs of PROFILED_QUERY: the profile summary counts these only.
    const profiled: Window[] = [];
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    const runs: GatewayComparisonResults['runs'] = {};
    for (const query of SELECTED_QUERIES) runs[query.name] = Object.fromEntries(TARGETS.map((target) => [target, []])) as unknown as Record<GatewayTarget, Run[]>;
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const query of SELECTED_QUERIES) {
        for (const target of TARGETS) {
          const request = requestFor(cluster, target, query, sides, adminToken);
          const load = (seconds: number) => (WRK ? loadWithWrk(request, seconds, workDir) : loadWithAutocannon(request, seconds, expected.get(query.name)![target]));
          console.error(`round ${round}/${options.rounds}: ${target}, ${query.name}…`);
          await load(WARMUP_SECONDS);
          const pids: Record<Measured, number | undefined> = {
            gateway: target === 'direct' ? undefined : gatewayPid(target, query),
            products: cluster.pid('products'),
            orders: cluster.pid('orders'),
            payments: cluster.pid('payments'),
          };
          const cpu = async () => Object.fromEntries(await Promise.all(MEASURED.map(async (name) => [name, pids[name] === undefined ? 0 : ((await readProcStat(pids[name]!))?.cpuMs ?? 0)]))) as Record<Measured, number>;
          const rssPids = { gateway: gatewayPid(target, query), products: pids.products!, orders: pids.orders!, payments: pids.payments! };
          const { result: [result, before, after], peakMb } = await peakRssWhile(rssPids, async () => {
            const cpuBefore = await cpu();
            const fromUs = nowUs();
            const loaded = await load(options.durationSeconds);
            if (target === 'router' && query.name === PROFILED_QUERY) profiled.push({ fromUs, toUs: nowUs() });
            return [loaded, cpuBefore, await cpu()] as const;
          });
          const cpuMsPerRequest = Object.fromEntries(MEASURED.map((name) => [name, (after[name] - before[name]) / result.requests])) as Record<Measured, number>;
          const { gateway: peakRssMb, ...subgraphPeakRssMb } = peakMb;
          runs[query.name]![target].push({ requestsPerSecond: result.requestsPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuMsPerRequest, peakRssMb, subgraphPeakRssMb });
        }
      }
    }

    const medians: GatewayComparisonResults['medians'] = {};
    for (const query of SELECTED_QUERIES) {
      medians[query.name] = Object.fromEntries(
        TARGETS.map((target) => {
          const list = runs[query.name]![target];
          return [
            target,
            {
              requestsPerSecond: median(list.map((run) => run.requestsPerSecond)),
              p50Ms: median(list.map((run) => run.p50Ms)),
              p99Ms: median(list.map((run) => run.p99Ms)),
              cpuMsPerRequest: Object.fromEntries(MEASURED.map((name) => [name, median(list.map((run) => run.cpuMsPerRequest[name]))])) as Record<Measured, number>,
              peakRssMb: Math.max(...list.map((run) => run.peakRssMb)),
              subgraphPeakRssMb: Object.fromEntries(SUBGRAPHS_MEASURED.map((name) => [name, Math.max(...list.map((run) => run.subgraphPeakRssMb[name]))])) as Record<SubgraphMeasured, number>,
            },
          ];
        }),
      ) as Record<GatewayTarget, Run>;
    }
    const roundRatios: GatewayComparisonResults['roundRatios'] = {};
    for (const query of SELECTED_QUERIES) {
      const byTarget = runs[query.name]!;
      const over = (target: GatewayTarget, other: GatewayTarget) => byTarget[target].map((run, round) => run.requestsPerSecond / byTarget[other][round]!.requestsPerSecond);
      roundRatios[query.name] = { overHiveRouterRuntime: over('router', 'hive+router-runtime'), overDirect: over('router', 'direct'), byteHopOverDirect: over('byte-hop', 'direct') };
    }
    console.log(`\n${comparisonTable(medians, roundRatios, { ...options, loadGenerator })}\n`);

    let routerProfile: string | undefined;
    if (options.profile) {
      // --cpu-prof writes the profile when the process exits.
      await cluster.kill('router', 'SIGTERM');
      const files = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
      if (files.length === 0) throw new Error(`the router wrote no CPU profile in ${profileDir}`);
      routerProfile = summariseCpuProfile(JSON.parse(await readFile(join(profileDir, files[0]!), 'utf8')), REPO_ROOT, profiled);
      console.log(`Router CPU profile under the ${PROFILED_QUERY} load (its measured runs), self time:\n\n${routerProfile}\n`);
    }
    const routerLoadPeakRssMb = await measureRouterLoadMemory(cluster, (query, seconds) => {
      const request = requestFor(cluster, 'router', query, sides, adminToken);
      return WRK ? loadWithWrk(request, seconds, workDir) : loadWithAutocannon(request, seconds, expected.get(query.name)!.router);
    }, options.durationSeconds);
    return {
      context: { connections: CONNECTIONS, durationSeconds: options.durationSeconds, rounds: options.rounds, loadGenerator, products: PRODUCT_COUNT, orders: ORDER_COUNT, linesPerOrder: LINES_PER_ORDER },
      runs,
      medians,
      roundRatios,
      routerLoadPeakRssMb,
      ...(routerProfile !== undefined ? { routerProfile } : {}),
    };
  } finally {
    for (const side of Object.values(started)) await side.stop();
    await cluster.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Memory under this router's load alone. In the interleaved rounds a subgraph's RSS is the highest any
 * gateway drove it to (V8 keeps the heap it grew, and Hive Gateway without router-runtime holds answers
 * longer), so its column there is not what it needs behind this router. Here the three subgraphs and the
 * router are restarted, then each selected query runs through the router only (warm-up, then `seconds`),
 * with every process's RSS sampled every 200 ms; the peaks are printed and returned.
 */
async function measureRouterLoadMemory(cluster: Cluster, load: (query: Query, seconds: number) => Promise<Load>, seconds: number): Promise<Record<'router' | SubgraphMeasured, number>> {
  for (const name of [...SUBGRAPHS_MEASURED, 'router'] as const) {
    if (cluster.pid(name) !== undefined) await cluster.kill(name, 'SIGTERM');
    await cluster.restart(name);
  }
  const pids = { router: cluster.pid('router')!, products: cluster.pid('products')!, orders: cluster.pid('orders')!, payments: cluster.pid('payments')! };
  const { peakMb: peak } = await peakRssWhile(pids, async () => {
    for (const query of SELECTED_QUERIES) {
      console.error(`memory under the router's load alone: ${query.name}…`);
      await load(query, WARMUP_SECONDS + seconds);
    }
  });
  console.log(
    `Peak RSS under this router's load alone (router and subgraphs restarted, then ${SELECTED_QUERIES.length === 1 ? 'the query' : `${SELECTED_QUERIES.length} queries`} through the router, ` +
      `${WARMUP_SECONDS + seconds} s each, ${CONNECTIONS} connections): router ${Math.round(peak.router)} MB; ` +
      `products/orders/payments ${SUBGRAPHS_MEASURED.map((name) => Math.round(peak[name])).join('/')} MB\n`,
  );
  return peak;
}

/** Runs `work` while sampling each process's RSS every 200 ms (from the start); its result and each process's peak, MB. */
async function peakRssWhile<Name extends string, T>(pids: Record<Name, number>, work: () => Promise<T>): Promise<{ result: T; peakMb: Record<Name, number> }> {
  const names = Object.keys(pids) as Name[];
  const peakMb = Object.fromEntries(names.map((name) => [name, 0])) as Record<Name, number>;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const name of names) peakMb[name] = Math.max(peakMb[name], (await rssMb(pids[name])) ?? 0);
      await sleep(200);
    }
  })();
  try {
    return { result: await work(), peakMb };
  } finally {
    sampling = false;
    await sampler;
  }
}

function comparisonTable(
  medians: GatewayComparisonResults['medians'],
  roundRatios: GatewayComparisonResults['roundRatios'],
  options: { durationSeconds: number; rounds: number; loadGenerator: string },
): string {
  const fixed = (value: number, digits = 2) => value.toFixed(digits);
  const spread = (ratios: number[]) => (ratios.length > 1 ? ` (rounds ${fixed(Math.min(...ratios))}–${fixed(Math.max(...ratios))})` : '');
  const lines = [
    `Gateways side by side: ${options.rounds} interleaved rounds of ${options.durationSeconds} s per query and target, ${CONNECTIONS} connections, ${options.loadGenerator}, medians. ` +
      'CPU ms/request of each process (gateway | products + orders + payments); direct: the subgraph alone. ' +
      "Subgraphs' peak RSS here includes what every gateway's load grew them to; their peak behind this router alone follows the table. " +
      (SHARE_IN_FLIGHT ? 'Identical subgraph calls in flight shared by every gateway (BENCH_SHARE_IN_FLIGHT=1).' : 'No gateway shares identical subgraph calls in flight.') +
      ' Ratios: of the medians, and in brackets the lowest and highest of the rounds\' own (each ratio of two runs of one round).',
    ...(WRK ? [] : ['', AUTOCANNON_WARNING]),
    '',
    '| query | target | req/s | p50 ms | p99 ms | gateway CPU ms/req | subgraphs CPU ms/req (products/orders/payments) | peak RSS MB | subgraphs peak RSS MB (products/orders/payments) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, byTarget] of Object.entries(medians)) {
    for (const target of TARGETS) {
      const run = byTarget[target];
      const { gateway, products, orders, payments } = run.cpuMsPerRequest;
      lines.push(
        `| ${name} | ${target} | ${Math.round(run.requestsPerSecond)} | ${fixed(run.p50Ms)} | ${fixed(run.p99Ms)} | ${target === 'direct' ? '–' : fixed(gateway)} | ` +
          `${fixed(products + orders + payments)} (${fixed(products)}/${fixed(orders)}/${fixed(payments)}) | ${Math.round(run.peakRssMb)} | ` +
          SUBGRAPHS_MEASURED.map((name) => Math.round(run.subgraphPeakRssMb[name])).join('/') + ' |',
      );
    }
    const router = byTarget.router.requestsPerSecond;
    const ratios = roundRatios[name]!;
    lines.push(
      `| ${name} | router ÷ hive+router-runtime, router ÷ direct | ${fixed(router / byTarget['hive+router-runtime'].requestsPerSecond)}${spread(ratios.overHiveRouterRuntime)}, ` +
        `${fixed(router / byTarget.direct.requestsPerSecond)}${spread(ratios.overDirect)} | | | | | | |`,
    );
    lines.push(`| ${name} | byte-hop ÷ direct | ${fixed(byTarget['byte-hop'].requestsPerSecond / byTarget.direct.requestsPerSecond)}${spread(ratios.byteHopOverDirect)} | | | | | | |`);
  }
  return lines.join('\n');
}
