/**
 * The checkout scenario with every service in its own process (the cluster of
 * ./cluster.ts) on Postgres + NATS JetStream, and the load generator in this
 * process: confirmed orders per second, time from placeOrder to CONFIRMED and
 * placeOrder latency at each concurrency level, and the CPU every process used
 * over the level (router, subgraphs, card provider, Postgres, nats-server),
 * per confirmed order. This process's own CPU (the load generator) is
 * reported apart and counted nowhere else.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { CheckoutLevel } from './checkout.js';
import { cpuDelta, natsServerAvailable, SERVICE_NAMES, startCluster, type Cluster, type CpuSnapshot, type ServiceName } from './cluster.js';
import { createCatalog, graphql, ORDER_STATUS, PLACE_ORDER } from './http-client.js';
import { READER_APPLICATION_NAME, SagaReader, countByRule, isQuiet, violationsAtRest } from './invariants.js';
import { OrderOutcomeWatcher } from './order-outcomes.js';

export const PROCESS_LEVELS = [1, 10, 50, 200] as const;
const PRODUCT_STOCK = 10_000_000;
const PAYMENT_TOKEN = 'tok_visa';
/** Discarded load before the first level, so that every level measures code the JIT has compiled. */
const WARMUP_SECONDS = 5;
const WARMUP_CUSTOMERS = 20;
/** Following by events: how long to wait for an order's outcome event before asking the API, and then how often. */
const EVENT_GRACE_MS = 10_000;
const FALLBACK_POLL_MS = 1_000;
/** Past the saga deadline (SAGA_DEADLINE_MS, 120 s default): an order PENDING this long is a bug. */
const ORDER_TIMEOUT_MS = 130_000;


type CpuParts = Record<ServiceName, number> & { postgres: number; nats: number };

/** A checkout level (see CheckoutLevel), with each process's CPU. `timeToConfirmed*` is taken server side: the order row's updated_at (written when it was confirmed) minus the moment placeOrder was sent, one machine clock; `wallSeconds` runs from the first placeOrder to the last order leaving PENDING as the clients saw it. */
export interface ProcessesLevel extends CheckoutLevel {
  /** As the polling client saw it: overshoots by up to one poll interval plus a poll's round trip. */
  observedTimeToConfirmedP50Ms: number;
  observedTimeToConfirmedP99Ms: number;
  /** CPU ms over the level's measurement window (load, then until the saga is at rest). */
  cpuMs: CpuParts;
  /** The same window, each service process apart (`orders`, `orders#2`…). */
  cpuMsByProcess: Record<string, number>;
  cpuMsTotal: number;
  cpuMsPerConfirmed: CpuParts & { total: number };
  /** The whole Postgres cluster's process tree over the same window (all databases, auxiliary processes, other users). */
  postgresClusterCpuMs: number | undefined;
  /** The load generator (this process): not part of any figure above. */
  driverCpuMs: number;
  /** The whole machine's busy CPU over the window, as a share of all its cores. */
  machineBusyPercent: number | undefined;
  /** Busy CPU of everything else on the machine (other Postgres users, other programs): machine − this run − driver. */
  otherCpuMs: number | undefined;
  measuredSeconds: number;
  /** Invariant violations once the level came to rest (expected: none). */
  violations: Record<string, number>;
}

export interface ProcessesCheckoutResults {
  context: {
    deployment: 'processes';
    /** Processes of each subgraph and of the router. */
    replicas: number;
    database: string;
    nats: string;
    durationSeconds: number;
    concurrencyLevels: readonly number[];
    follow: 'events' | 'poll';
    /** `poll`: the poll interval; `events`: the interval of the fallback polls after EVENT_GRACE_MS without an event. */
    pollIntervalMs: number;
    logLevel: string;
    products: number;
    stockPerProduct: number;
    paymentToken: string;
    placeOrderOperation: string;
    pollOperation: string;
  };
  levels: ProcessesLevel[];
  /** CPU ms per second of each process with no load at all (timers, relays, sweeps), over IDLE_SECONDS. */
  idleCpuMsPerSecond: CpuParts & { total: number };
}

const IDLE_SECONDS = 3;

/**
 * How a customer learns that its order left PENDING: `events` listens to the
 * orders subgraph's OrderConfirmed/OrderCancelled on NATS (no polls; the
 * API is asked only if no event came within EVENT_GRACE_MS), `poll` asks
 * `order(id) { status }` every `pollMs`.
 */
export type FollowMode = { kind: 'events'; watcher: OrderOutcomeWatcher } | { kind: 'poll'; pollMs: number };

interface Sample {
  orderId: string;
  sentAt: number;
  placeOrderMs: number;
  observedMs: number;
  status: string;
  reason: string | null;
  polls: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function placeAndFollow(url: string, token: string, productId: string, follow: FollowMode): Promise<Sample> {
  const sentAt = Date.now();
  const start = performance.now();
  const { placeOrder } = await graphql<{ placeOrder: { id: string; status: string } }>(url, token, PLACE_ORDER, {
    input: { items: [{ productId, quantity: 1 }], paymentToken: PAYMENT_TOKEN, idempotencyKey: `bench-${randomUUID()}` },
  }, 60_000);
  const placeOrderMs = performance.now() - start;
  const sample = { orderId: placeOrder.id, sentAt, placeOrderMs };
  if (placeOrder.status !== 'PENDING') return { ...sample, observedMs: placeOrderMs, status: placeOrder.status, reason: null, polls: 0 };
  if (follow.kind === 'events') {
    const outcome = await follow.watcher.outcome(placeOrder.id, EVENT_GRACE_MS);
    if (outcome) return { ...sample, observedMs: outcome.at - start, status: outcome.status, reason: outcome.reason, polls: 0 };
  }
  const pollMs = follow.kind === 'poll' ? follow.pollMs : FALLBACK_POLL_MS;
  for (let polls = 1; ; polls += 1) {
    await sleep(pollMs);
    const { order } = await graphql<{ order: { status: string; cancellationReason: string | null } | null }>(url, token, ORDER_STATUS, { id: placeOrder.id }, 60_000);
    if (!order) throw new Error(`order ${placeOrder.id} is not visible to the customer who placed it`);
    const observedMs = performance.now() - start;
    if (order.status !== 'PENDING') return { ...sample, observedMs, status: order.status, reason: order.cancellationReason, polls };
    if (observedMs > ORDER_TIMEOUT_MS) throw new Error(`order ${placeOrder.id} still PENDING after ${ORDER_TIMEOUT_MS} ms`);
  }
}

/**
 * `tokens.length` customers, each placing and following one order after another until `durationSeconds` have
 * passed; with several routers, customer i uses router i mod n (as a load balancer would spread their connections).
 */
async function drive(urls: readonly string[], tokens: readonly string[], productId: string, follow: FollowMode, durationSeconds: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const until = performance.now() + durationSeconds * 1000;
  let failure: unknown;
  await Promise.all(
    tokens.map(async (token, index) => {
      const url = urls[index % urls.length]!;
      try {
        while (failure === undefined && performance.now() < until) samples.push(await placeAndFollow(url, token, productId, follow));
      } catch (error) {
        failure ??= error;
      }
    }),
  );
  if (failure !== undefined) throw failure;
  return samples;
}

/** Until nothing is pending or reserved, every outbox is drained and JetStream's consumers have nothing in flight. */
async function waitForRest(reader: SagaReader, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isQuiet(await reader.motion())) {
    if (Date.now() > deadline) throw new Error(`the saga did not come to rest within ${timeoutMs} ms: ${JSON.stringify(await reader.motion())}`);
    await sleep(100);
  }
}

function cpuParts(delta: CpuSnapshot): CpuParts {
  return { ...delta.services, postgres: delta.postgresBackends, nats: delta.nats ?? 0 };
}

async function runLevel(cluster: Cluster, reader: SagaReader, concurrency: number, durationSeconds: number, productId: string, follow: FollowMode): Promise<ProcessesLevel> {
  const tokens = await Promise.all(Array.from({ length: concurrency }, (_, index) => cluster.token(`bench-${index}`, ['customer'])));
  await waitForRest(reader);
  const before = await cluster.cpu();
  const start = performance.now();
  const samples = await drive(cluster.routerUrls, tokens, productId, follow, durationSeconds).catch((failure: unknown) => {
    throw new Error(`Checkout at ${concurrency} concurrent customers failed: ${String(failure)}`, { cause: failure });
  });
  const wallSeconds = (performance.now() - start) / 1000;
  // The saga's tail (OrderConfirmed → the reservation becomes a sale) belongs to these orders too.
  await waitForRest(reader);
  const after = await cluster.cpu();
  const delta = cpuDelta(before, after);
  const violations = violationsAtRest(await reader.read());

  // Server-side confirmation times: the order row's updated_at, on the same clock as sentAt.
  const client = new pg.Client({ connectionString: cluster.databaseUrl('orders'), application_name: READER_APPLICATION_NAME });
  await client.connect();
  const { rows } = await client
    .query<{ id: string; updated_at: Date }>('select id, updated_at from orders.orders where id = any($1::uuid[])', [samples.map((sample) => sample.orderId)])
    .finally(() => client.end());
  const confirmedAt = new Map(rows.map((row) => [row.id, row.updated_at.getTime()]));

  const confirmed = samples.filter((sample) => sample.status === 'CONFIRMED');
  const serverSide = confirmed.map((sample) => (confirmedAt.get(sample.orderId) ?? Number.NaN) - sample.sentAt);
  const cpu = cpuParts(delta);
  const total = Object.values(cpu).reduce((sum, ms) => sum + ms, 0);
  const per = (ms: number) => (confirmed.length > 0 ? round(ms / confirmed.length, 2) : Number.NaN);
  return {
    concurrency,
    ordersPlaced: samples.length,
    confirmed: confirmed.length,
    notConfirmed: samples.length - confirmed.length,
    wallSeconds: round(wallSeconds, 2),
    confirmedPerSecond: round(confirmed.length / wallSeconds),
    timeToConfirmedP50Ms: round(percentile(serverSide, 50)),
    timeToConfirmedP99Ms: round(percentile(serverSide, 99)),
    observedTimeToConfirmedP50Ms: round(percentile(confirmed.map((sample) => sample.observedMs), 50)),
    observedTimeToConfirmedP99Ms: round(percentile(confirmed.map((sample) => sample.observedMs), 99)),
    placeOrderP50Ms: round(percentile(samples.map((sample) => sample.placeOrderMs), 50)),
    placeOrderP99Ms: round(percentile(samples.map((sample) => sample.placeOrderMs), 99)),
    pollsPerSecond: Math.round(samples.reduce((sum, sample) => sum + sample.polls, 0) / wallSeconds),
    cpuMs: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, Math.round(ms)])) as CpuParts,
    cpuMsByProcess: Object.fromEntries(Object.entries(delta.instances).map(([name, ms]) => [name, Math.round(ms)])),
    cpuMsTotal: Math.round(total),
    cpuMsPerConfirmed: { ...(Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, per(ms)])) as CpuParts), total: per(total) },
    postgresClusterCpuMs: delta.postgresCluster !== undefined ? Math.round(delta.postgresCluster) : undefined,
    driverCpuMs: Math.round(delta.driver),
    machineBusyPercent: delta.machine !== undefined ? Math.round((delta.machine / (delta.at * os.availableParallelism())) * 100) : undefined,
    otherCpuMs: delta.machine !== undefined ? Math.round(delta.machine - total - delta.driver) : undefined,
    measuredSeconds: round(delta.at / 1000, 2),
    violations: Object.fromEntries(countByRule(violations)),
  };
}

const COLUMNS: (keyof CpuParts)[] = ['router', 'orders', 'payments', 'products', 'payment-provider', 'postgres', 'nats'];

export function processesTable(levels: readonly ProcessesLevel[]): string {
  const header = [
    'customers', 'orders', 'confirmed/s', 'to CONFIRMED p50 ms', 'p99 ms', 'observed p50/p99 ms', 'placeOrder p50 ms', 'polls/s',
    'CPU ms/confirmed', ...COLUMNS.map((name) => `${name === 'payment-provider' ? 'provider' : name} ms/conf`), 'driver CPU ms', 'not CONFIRMED',
  ];
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---:').join(' | ')} |`,
    ...levels.map((level) =>
      `| ${[
        level.concurrency, level.ordersPlaced, level.confirmedPerSecond, level.timeToConfirmedP50Ms, level.timeToConfirmedP99Ms,
        `${level.observedTimeToConfirmedP50Ms}/${level.observedTimeToConfirmedP99Ms}`, level.placeOrderP50Ms, level.pollsPerSecond,
        level.cpuMsPerConfirmed.total, ...COLUMNS.map((name) => level.cpuMsPerConfirmed[name]), level.driverCpuMs, level.notConfirmed,
      ].join(' | ')} |`,
    ),
  ].join('\n');
}

/**
 * `BENCH_DEPLOYMENT=processes`: the checkout scenario on a cluster of separate
 * processes. Postgres: the server of `databaseUrl`; NATS: a private
 * nats-server when the binary is there (its CPU is then this run's alone),
 * else `natsUrl` (the whole server's CPU is counted).
 */
export async function runCheckoutProcesses(options: {
  durationSeconds: number;
  databaseUrl: string;
  natsUrl: string;
  levels?: readonly number[];
  /** `events` (default): customers follow their orders through the orders events on NATS; `poll`: through `order(id)` every `pollMs`. */
  follow?: 'events' | 'poll';
  pollMs?: number;
  /** Processes of each subgraph and of the router (default 1; see ./cluster.ts). */
  replicas?: number;
}): Promise<ProcessesCheckoutResults> {
  const levels = options.levels ?? PROCESS_LEVELS;
  const followKind = options.follow ?? 'events';
  const pollMs = options.pollMs ?? 200;
  const logLevel = process.env['BENCH_LOG_LEVEL'] ?? 'info';
  const privateNats = natsServerAvailable && process.env['BENCH_NATS'] !== 'shared';
  const cluster = await startCluster({
    name: 'bench',
    postgres: { kind: 'shared', url: options.databaseUrl },
    nats: privateNats ? { kind: 'private' } : { kind: 'shared', url: options.natsUrl },
    env: { LOG_LEVEL: logLevel },
    log: (line) => console.error(`cluster: ${line}`),
    replicas: options.replicas ?? 1,
  });
  const reader = new SagaReader(cluster);
  const watcher = followKind === 'events' ? await OrderOutcomeWatcher.start(cluster.natsUrl, cluster.namespace) : undefined;
  const follow: FollowMode = watcher ? { kind: 'events', watcher } : { kind: 'poll', pollMs };
  try {
    const context: ProcessesCheckoutResults['context'] = {
      deployment: 'processes',
      replicas: cluster.replicas,
      database: `Postgres ${new URL(options.databaseUrl).host} (databases ${cluster.databasePrefix}_*)`,
      nats: privateNats ? 'private nats-server (this run only)' : `${new URL(options.natsUrl).host} (shared; its whole CPU is counted)`,
      durationSeconds: options.durationSeconds,
      concurrencyLevels: levels,
      follow: followKind,
      pollIntervalMs: followKind === 'poll' ? pollMs : FALLBACK_POLL_MS,
      logLevel,
      products: 1,
      stockPerProduct: PRODUCT_STOCK,
      paymentToken: PAYMENT_TOKEN,
      placeOrderOperation: PLACE_ORDER,
      pollOperation: ORDER_STATUS,
    };
    console.log(
      `\nCheckout saga, ${cluster.replicas > 1 ? `${cluster.replicas} processes of each subgraph and of the router (customers spread over the routers; each subgraph's replicas behind a balancer in this process)` : 'one process per service'} (${SERVICE_NAMES.join(', ')}), on ${context.database} and ${context.nats}; services log at ${logLevel} to files.\n` +
        `The load generator is this process: each customer places an order (1 line, quantity 1, ${PAYMENT_TOKEN}, all for ONE product) and ` +
        (follow.kind === 'events'
          ? `waits for its OrderConfirmed or OrderCancelled event on NATS (a plain subscription to the orders subjects, as a live status would tell it; ` +
            `\`order(id) { status }\` is asked only if no event came within ${EVENT_GRACE_MS / 1000} s)`
          : `polls \`order(id) { status }\` every ${pollMs} ms until it leaves PENDING`) +
        `, then places the next, for ${options.durationSeconds} s per level, after ${WARMUP_SECONDS} s of discarded warm-up at ${WARMUP_CUSTOMERS} customers.\n` +
        `Time to CONFIRMED is server side (the order row's updated_at minus the moment placeOrder was sent, one machine clock); "observed" is when the ` +
        (follow.kind === 'events' ? `client received the event. ` : `polling client saw it (overshoots by up to ${pollMs} ms + a poll's round trip). `) +
        `CPU is read from /proc for each process over the level, from just ` +
        `before the first order to the moment the saga is at rest again (no PENDING order or payment, outboxes drained, no JetStream message in flight); ` +
        `Postgres = the backends of this run's databases, NATS = nats-server. Polls, if any, are part of the load the services serve, so their cost is in the ` +
        `router's and orders' figures. The load generator's own CPU is the "driver" column and is in no other figure.`,
    );
    const [product] = await createCatalog(cluster, [{ sku: `BENCH-${Date.now().toString(36)}`, name: 'Bench product', amount: 1_000, stock: PRODUCT_STOCK }]);
    const warmupTokens = await Promise.all(Array.from({ length: WARMUP_CUSTOMERS }, (_, index) => cluster.token(`bench-warmup-${index}`, ['customer'])));
    await drive(cluster.routerUrls, warmupTokens, product!.id, follow, WARMUP_SECONDS);

    await waitForRest(reader);
    const idleBefore = await cluster.cpu();
    await sleep(IDLE_SECONDS * 1000);
    const idleDelta = cpuDelta(idleBefore, await cluster.cpu());
    const idleParts = cpuParts(idleDelta);
    const idleCpuMsPerSecond = Object.fromEntries(
      [...Object.entries(idleParts), ['total', Object.values(idleParts).reduce((sum, ms) => sum + ms, 0)]].map(([name, ms]) => [name, round((ms as number) / (idleDelta.at / 1000))]),
    ) as ProcessesCheckoutResults['idleCpuMsPerSecond'];

    const results: ProcessesLevel[] = [];
    for (const concurrency of levels) {
      console.error(`load: checkout (processes), ${concurrency} concurrent customer${concurrency === 1 ? '' : 's'}…`);
      const level = await runLevel(cluster, reader, concurrency, options.durationSeconds, product!.id, follow);
      results.push(level);
      if (Object.keys(level.violations).length > 0) console.error(`  invariants violated after this level: ${JSON.stringify(level.violations)}`);
    }
    console.log(`\n${processesTable(results)}\n`);
    console.log(
      [
        'CPU ms per level (whole measurement window):',
        '',
        `| customers | window s | ${COLUMNS.join(' | ')} | total | Postgres whole cluster | driver (excluded) | everything else on the machine | machine busy % |`,
        `| ---: | ---: | ${COLUMNS.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: | ---: |`,
        ...results.map(
          (level) =>
            `| ${level.concurrency} | ${level.measuredSeconds} | ${COLUMNS.map((name) => level.cpuMs[name]).join(' | ')} | ${level.cpuMsTotal} | ${level.postgresClusterCpuMs ?? '—'} | ${level.driverCpuMs} | ${level.otherCpuMs ?? '—'} | ${level.machineBusyPercent ?? '—'} |`,
        ),
        `| idle, per second (${IDLE_SECONDS} s without load) | 1 | ${COLUMNS.map((name) => idleCpuMsPerSecond[name]).join(' | ')} | ${idleCpuMsPerSecond.total} | | | | |`,
        '',
      ].join('\n'),
    );
    for (const exit of cluster.unexpectedExits()) console.error(`warning: ${exit.name} exited on its own during the bench (code ${exit.code}, signal ${exit.signal})`);
    return { context, levels: results, idleCpuMsPerSecond };
  } finally {
    await watcher?.close();
    await reader.close();
    await cluster.stop();
  }
}
