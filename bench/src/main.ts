import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import autocannon from 'autocannon';
import { DEFAULT_LIMITS } from '@shop/router';
import { createProducts, describeDatabase, seedOrders, startTestSupergraph, type TestSupergraph } from '@shop/testing';
import { runCheckout, type CheckoutResults } from './checkout.js';
import { runCheckoutProcesses, type ProcessesCheckoutResults } from './checkout-processes.js';
import { runGatewayComparison, type GatewayComparisonResults } from './gateway-compare.js';
import { runLiveStatus, type LiveStatusResults } from './live-status.js';
import { runReplicasComparison, type ReplicasResults } from './replicas.js';
import { buildScenarios, checkResponse, describeScenario, ITEMS_PER_ORDER, send, type Scenario, type Target } from './scenarios.js';

const USAGE = `npm run bench: measures the supergraph (README, "Benchmark"). Settings are environment variables:

  BENCH_SCENARIOS=read,security,checkout,gateway,replicas,live   which scenarios (default: read, security, checkout)
  BENCH_DURATION=5          seconds per level or round
  DATABASE_URL, NATS_URL    with both, checkout runs one process per service (BENCH_DEPLOYMENT=processes); gateway, replicas and live need them
  BENCH_LEVELS=1,10,50,200  concurrent customers of the processes checkout (replicas: 50)
  BENCH_REPLICAS=1,2        replicas: processes of each subgraph and router compared, one after the other
  BENCH_SUBSCRIBERS=1,100,1000   live: concurrent subscribers of the order status subscription, one level after the other
  BENCH_FOLLOW=events|poll  how customers learn their order's outcome (BENCH_POLL_MS=200 with poll)
  BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"   node options of each service process
  BENCH_ROUNDS=5, BENCH_PROFILE=1                          gateway comparison rounds, router profile
Results go to bench/results/latest.json.`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

const ORDER_COUNT = 100;
const CONNECTIONS = 10;
const WARMUP_SECONDS = 1;
const SEQUENTIAL_WARMUP_REQUESTS = 3;
const DURATION_SECONDS = durationFromEnv(process.env['BENCH_DURATION'], 5);
const SCENARIO_NAMES = ['read', 'security', 'checkout', 'gateway', 'replicas', 'live'] as const;
/** Scenarios that run only when named: they need DATABASE_URL and NATS_URL and take minutes. */
const ON_REQUEST: readonly ScenarioName[] = ['gateway', 'replicas', 'live'];
type ScenarioName = (typeof SCENARIO_NAMES)[number];
const SELECTED = scenariosFromEnv(process.env['BENCH_SCENARIOS']);
const RESULTS_DIR = new URL('../results/', import.meta.url);
/**
 * Where the checkout scenario runs: `in-process` (every service in this
 * process, the harness of the tests) or `processes` (each service its own
 * process on Postgres + NATS, CPU measured per process). Default: processes
 * when DATABASE_URL and NATS_URL are both set.
 */
const DEPLOYMENT = deploymentFromEnv(process.env['BENCH_DEPLOYMENT']);

function deploymentFromEnv(value: string | undefined): 'in-process' | 'processes' {
  if (value === undefined || value === '') return process.env['DATABASE_URL'] && process.env['NATS_URL'] ? 'processes' : 'in-process';
  if (value !== 'in-process' && value !== 'processes') throw new Error(`BENCH_DEPLOYMENT must be in-process or processes, got "${value}"`);
  if (value === 'processes' && !(process.env['DATABASE_URL'] && process.env['NATS_URL'])) throw new Error('BENCH_DEPLOYMENT=processes needs DATABASE_URL and NATS_URL');
  return value;
}

/** BENCH_FOLLOW=events|poll: how a customer of the processes checkout learns its order's outcome (default events: the orders events on NATS). */
function followFromEnv(value: string | undefined): 'events' | 'poll' {
  if (value === undefined || value === '') return 'events';
  if (value !== 'events' && value !== 'poll') throw new Error(`BENCH_FOLLOW must be events or poll, got "${value}"`);
  return value;
}

/** BENCH_POLL_MS: with BENCH_FOLLOW=poll, how often a customer of the processes checkout asks for its order's status (default 200). */
function pollIntervalFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 200;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 10) throw new Error(`BENCH_POLL_MS must be a number of milliseconds >= 10, got "${value}"`);
  return ms;
}

/** BENCH_ROUNDS: interleaved rounds of the gateway comparison (default 5). */
function roundsFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 5;
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS must be a positive integer, got "${value}"`);
  return rounds;
}

/** BENCH_LEVELS=1,10,50,200: concurrent customers of the processes checkout (and BENCH_REPLICAS=1,2, the same shape). */
function levelsFromEnv(value: string | undefined, name = 'BENCH_LEVELS'): number[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const levels = value.split(',').map((level) => Number(level.trim()));
  if (levels.some((level) => !Number.isInteger(level) || level < 1)) throw new Error(`${name} must list positive integers, got "${value}"`);
  return levels;
}

interface SqlStatements {
  products: number;
  orders: number;
  payments: number;
  total: number;
}

interface ScenarioResult {
  target: Target;
  first: number;
  sqlStatementsPerRequest: SqlStatements;
  subgraphFetchesPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
}

function durationFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`BENCH_DURATION must be a positive number of seconds, got "${value}"`);
  return seconds;
}

/** DATABASE_URL and NATS_URL, which the scenarios that run each service as its own process need. */
function postgresAndNats(scenario: ScenarioName): { databaseUrl: string; natsUrl: string } {
  const databaseUrl = process.env['DATABASE_URL'];
  const natsUrl = process.env['NATS_URL'];
  if (!databaseUrl || !natsUrl) throw new Error(`BENCH_SCENARIOS=${scenario} needs DATABASE_URL and NATS_URL (each service runs as its own process on Postgres + NATS)`);
  return { databaseUrl, natsUrl };
}

/** BENCH_SCENARIOS=read,security,checkout,gateway,replicas (any subset, any order); all but gateway and replicas when unset. */
function scenariosFromEnv(value: string | undefined): Set<ScenarioName> {
  if (value === undefined || value.trim() === '') return new Set(SCENARIO_NAMES.filter((name) => !ON_REQUEST.includes(name)));
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(SCENARIO_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`BENCH_SCENARIOS must list some of ${SCENARIO_NAMES.join(', ')} (comma-separated), got "${value}"`);
  }
  return new Set(names as ScenarioName[]);
}

interface RequestCost {
  sql: SqlStatements;
  fetches: number;
}

/** Statements and router fetches caused by exactly one request; the caller makes sure nothing else runs meanwhile. */
async function costOfOneRequest(test: TestSupergraph, scenario: Scenario): Promise<RequestCost> {
  const sqlBefore = test.sqlStatements();
  const fetchesBefore = test.subgraphFetches();
  checkResponse(scenario, await send(scenario));
  const sqlAfter = test.sqlStatements();
  const products = sqlAfter.products - sqlBefore.products;
  const orders = sqlAfter.orders - sqlBefore.orders;
  const payments = sqlAfter.payments - sqlBefore.payments;
  return { sql: { products, orders, payments, total: products + orders + payments }, fetches: test.subgraphFetches() - fetchesBefore };
}

/**
 * Checks the response, warms up with a few sequential requests, then counts
 * one. Runs before any load: when autocannon stops, requests it abandoned are
 * still executing on the servers and would be counted too.
 */
async function countScenario(test: TestSupergraph, scenario: Scenario): Promise<{ expectedBody: string; cost: RequestCost }> {
  const expectedBody = await send(scenario);
  checkResponse(scenario, expectedBody);
  for (let index = 0; index < SEQUENTIAL_WARMUP_REQUESTS; index += 1) await send(scenario);
  const cost = await costOfOneRequest(test, scenario);
  // A second count must agree, or the figure is not "per request".
  const again = await costOfOneRequest(test, scenario);
  if (JSON.stringify(again) !== JSON.stringify(cost)) {
    throw new Error(`Request cost is not stable (${describeScenario(scenario)}): ${JSON.stringify(cost)} then ${JSON.stringify(again)}`);
  }
  return { expectedBody, cost };
}

/** A bounded autocannon run; every response must be a 2xx with exactly the verified body. */
async function load(scenario: Scenario, seconds: number, expectBody: string): Promise<autocannon.Result> {
  const result = await autocannon({
    url: scenario.url,
    method: 'POST',
    headers: scenario.headers,
    body: scenario.body,
    connections: CONNECTIONS,
    duration: seconds,
    expectBody,
  });
  const { errors, timeouts, non2xx, mismatches } = result;
  if (errors + non2xx + mismatches > 0) {
    throw new Error(
      `Load run failed (${describeScenario(scenario)}): ${errors} errors (${timeouts} timeouts), ${non2xx} non-2xx, ${mismatches} unexpected bodies`,
    );
  }
  return result;
}

async function measureLatency(scenario: Scenario, expectedBody: string): Promise<Pick<ScenarioResult, 'p50Ms' | 'p99Ms' | 'requestsPerSecond'>> {
  // Discarded: lets JIT, connection pools and the router's query-plan cache
  // settle, and absorbs requests still running from the previous scenario.
  await load(scenario, WARMUP_SECONDS, expectedBody);
  const run = await load(scenario, DURATION_SECONDS, expectedBody);
  return { p50Ms: run.latency.p50, p99Ms: run.latency.p99, requestsPerSecond: Math.round(run.requests.average) };
}

function toMarkdown(results: ScenarioResult[]): string {
  const rows = results.map(({ target, first, sqlStatementsPerRequest: sql, ...rest }) =>
    [target, first, `${sql.products}/${sql.orders}/${sql.payments}/${sql.total}`, rest.subgraphFetchesPerRequest, rest.p50Ms, rest.p99Ms, rest.requestsPerSecond],
  );
  return [
    '| target | N | SQL statements/request (products/orders/payments/total) | subgraph fetches/request | p50 ms | p99 ms | req/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

interface ReadResults {
  context: Record<string, unknown>;
  results: ScenarioResult[];
}

/** The N+1 read scenario: orders with their items, products and payments, through the router and straight at the orders subgraph. */
async function runRead(): Promise<ReadResults> {
  const test = await startTestSupergraph();
  try {
    const context = {
      node: process.version,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      database: describeDatabase(test.supergraph.databaseHost!.config),
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      ordersSeeded: ORDER_COUNT,
      itemsPerOrder: ITEMS_PER_ORDER,
    };
    console.log(
      `Read scenario: database ${context.database}; ` +
        `autocannon ${CONNECTIONS} connections, ${DURATION_SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up`,
    );

    const products = await createProducts(test.admin, ITEMS_PER_ORDER);
    await seedOrders(test, { customerId: 'bench-customer', count: ORDER_COUNT, products });

    const scenarios = await buildScenarios(test);
    // Every count first, with the servers idle; then the load runs.
    const counted = [];
    for (const scenario of scenarios) counted.push({ scenario, ...(await countScenario(test, scenario)) });
    const results: ScenarioResult[] = [];
    for (const { scenario, expectedBody, cost } of counted) {
      console.error(`load: ${describeScenario(scenario)}…`);
      results.push({
        target: scenario.target,
        first: scenario.first,
        sqlStatementsPerRequest: cost.sql,
        subgraphFetchesPerRequest: cost.fetches,
        ...(await measureLatency(scenario, expectedBody)),
      });
    }

    console.log(`\n${toMarkdown(results)}\n`);
    return { context, results };
  } finally {
    await test.stop();
  }
}

type Latency = Pick<ScenarioResult, 'p50Ms' | 'p99Ms' | 'requestsPerSecond'>;

interface SecurityResult {
  first: number;
  /** One measurement per round, rounds alternating between the two routers. */
  withLimits: Latency[];
  withoutLimits: Latency[];
}

const SECURITY_ROUNDS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * What the router's operation limits cost: the read query through a router
 * with the production limits (depth, aliases, directives, root fields, tokens,
 * cost, no suggestions) and through one with none of them. Both supergraphs
 * run side by side with the same data, and the load alternates between them
 * for SECURITY_ROUNDS rounds, so drift on a shared machine hits both alike.
 */
async function runSecurity(): Promise<SecurityResult[]> {
  const variants = {
    with: await startTestSupergraph({ config: { router: { limits: { ...DEFAULT_LIMITS, blockFieldSuggestions: true } } } }),
    without: await startTestSupergraph({ config: { router: { operationLimitsEnabled: false } } }),
  };
  try {
    const scenarios: Record<keyof typeof variants, { scenario: Scenario; expectedBody: string }[]> = { with: [], without: [] };
    for (const [variant, test] of Object.entries(variants) as [keyof typeof variants, TestSupergraph][]) {
      const products = await createProducts(test.admin, ITEMS_PER_ORDER);
      await seedOrders(test, { customerId: 'bench-customer', count: ORDER_COUNT, products });
      for (const scenario of (await buildScenarios(test)).filter((candidate) => candidate.target === 'router' && candidate.first <= 10)) {
        scenarios[variant].push({ scenario, ...(await countScenario(test, scenario)) });
      }
    }
    const results: SecurityResult[] = scenarios.with.map(({ scenario }) => ({ first: scenario.first, withLimits: [], withoutLimits: [] }));
    for (let round = 1; round <= SECURITY_ROUNDS; round += 1) {
      for (const [index, result] of results.entries()) {
        for (const variant of ['with', 'without'] as const) {
          const { scenario, expectedBody } = scenarios[variant][index]!;
          console.error(`load: round ${round}, operation limits ${variant === 'with' ? 'on' : 'off'}, ${describeScenario(scenario)}…`);
          const latency = await measureLatency(scenario, expectedBody);
          (variant === 'with' ? result.withLimits : result.withoutLimits).push(latency);
        }
      }
    }
    const p50s = (runs: Latency[]) => runs.map((run) => run.p50Ms);
    console.log(
      [
        '',
        `Operation limits on vs off, router, ${SECURITY_ROUNDS} alternating rounds of ${DURATION_SECONDS} s each:`,
        '',
        '| N orders | p50 ms with limits (per round) | p50 ms without (per round) | median with | median without | ratio | req/s with (median) | req/s without (median) |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...results.map(({ first, withLimits, withoutLimits }) => {
          const [on, off] = [median(p50s(withLimits)), median(p50s(withoutLimits))];
          const rps = (runs: Latency[]) => median(runs.map((run) => run.requestsPerSecond));
          return `| ${first} | ${p50s(withLimits).join(', ')} | ${p50s(withoutLimits).join(', ')} | ${on} | ${off} | ${(on / off).toFixed(2)} | ${rps(withLimits)} | ${rps(withoutLimits)} |`;
        }),
        '',
      ].join('\n'),
    );
    return results;
  } finally {
    await variants.with.stop();
    await variants.without.stop();
  }
}

async function main(): Promise<void> {
  // The harness defaults to warn; the bench's own output is the point here.
  process.env['LOG_LEVEL'] ??= 'error';
  console.log(
    `Machine: node ${process.version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}); ` +
      `scenarios: ${[...SELECTED].join(', ')}`,
  );
  // Each scenario runs on a supergraph of its own; the file holds what this run measured.
  const output: { date: string; scenarios: ScenarioName[] } & Partial<ReadResults> & {
    security?: SecurityResult[];
    checkout?: CheckoutResults | ProcessesCheckoutResults;
    gateway?: GatewayComparisonResults;
    replicas?: ReplicasResults;
    live?: LiveStatusResults;
  } = {
    date: new Date().toISOString(),
    scenarios: [...SELECTED],
  };
  if (SELECTED.has('read')) Object.assign(output, await runRead());
  if (SELECTED.has('security')) output.security = await runSecurity();
  if (SELECTED.has('checkout')) {
    if (DEPLOYMENT === 'processes') {
      const levels = levelsFromEnv(process.env['BENCH_LEVELS']);
      output.checkout = await runCheckoutProcesses({
        durationSeconds: DURATION_SECONDS,
        databaseUrl: process.env['DATABASE_URL']!,
        natsUrl: process.env['NATS_URL']!,
        follow: followFromEnv(process.env['BENCH_FOLLOW']),
        pollMs: pollIntervalFromEnv(process.env['BENCH_POLL_MS']),
        ...(levels ? { levels } : {}),
      });
    } else {
      output.checkout = await runCheckout({ durationSeconds: DURATION_SECONDS });
    }
  }

  if (SELECTED.has('gateway')) {
    const { databaseUrl, natsUrl } = postgresAndNats('gateway');
    output.gateway = await runGatewayComparison({
      databaseUrl,
      natsUrl,
      durationSeconds: DURATION_SECONDS,
      rounds: roundsFromEnv(process.env['BENCH_ROUNDS']),
      profile: process.argv.includes('--profile') || process.env['BENCH_PROFILE'] === '1',
    });
  }

  if (SELECTED.has('replicas')) {
    const { databaseUrl, natsUrl } = postgresAndNats('replicas');
    output.replicas = await runReplicasComparison({
      databaseUrl,
      natsUrl,
      durationSeconds: DURATION_SECONDS,
      levels: levelsFromEnv(process.env['BENCH_LEVELS']) ?? [50],
      replicaCounts: levelsFromEnv(process.env['BENCH_REPLICAS'], 'BENCH_REPLICAS') ?? [1, 2],
    });
  }

  if (SELECTED.has('live')) {
    const { databaseUrl, natsUrl } = postgresAndNats('live');
    output.live = await runLiveStatus({ databaseUrl, natsUrl, levels: levelsFromEnv(process.env['BENCH_SUBSCRIBERS'], 'BENCH_SUBSCRIBERS') ?? [1, 100, 1_000] });
  }

  await mkdir(RESULTS_DIR, { recursive: true });
  const file = new URL('latest.json', RESULTS_DIR);
  await writeFile(file, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`Results written to ${file.pathname}`);
}

await main();
