/**
 * `npm run chaos`: every service in its own process on Postgres + NATS
 * JetStream, checkouts driven through the router (mostly good cards, some
 * declines, processing errors, orders over the stock, cancellations, client
 * retries with the same idempotency key), while one fault per phase is
 * injected: SIGKILL of orders, payments, products, the router, the card
 * provider and nats-server (each restarted after a second or two), every
 * Postgres backend of the run terminated, and (on a private Postgres) Postgres
 * stopped immediately and started again. Then it waits for rest and checks
 * the saga's invariants from the databases and the provider's ledger. Exits 1
 * on any violation, including a service process that exited on its own.
 *
 * Bounded: CHAOS_SECONDS of load (default 96), at most CHAOS_SETTLE_SECONDS
 * (default 90) waiting for rest, plus start and stop. See the README's
 * "Chaos run" section for every setting.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { natsServerAvailable, privatePostgresAvailable, startCluster, SERVICE_NAMES, type Cluster } from './cluster.js';
import { createCatalog, graphql, GraphQLCallError, ORDER_STATUS, PLACE_ORDER, type CreatedProduct } from './http-client.js';
import { countByRule, SagaReader, violationsAtRest, type SagaState, type Violation } from './invariants.js';

const USAGE = `npm run chaos: every service as its own process on Postgres and a private nats-server, checkouts under SIGKILLs and
dropped connections, then the saga's invariants at rest; exits 1 on any violation (README, "Chaos run").
Settings are environment variables:

  CHAOS_POSTGRES=shared|private   the machine's Postgres (CHAOS_DATABASE_URL or DATABASE_URL) or a private cluster
  CHAOS_SECONDS=96  CHAOS_CHECKOUTS=500  CHAOS_CONCURRENCY=20  CHAOS_SETTLE_SECONDS=90
  CHAOS_FAULTS=orders,payments,products,router,payment-provider,nats,postgres-backends,postgres-restart
  CHAOS_KEEP_LOGS=1  CHAOS_LOG_LEVEL=info  CHAOS_RESULTS=bench/results/chaos-latest.json`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

// --- settings -------------------------------------------------------------------
function numberFromEnv(name: string, fallback: number, { min = 0 }: { min?: number } = {}): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) throw new Error(`${name} must be a number >= ${min}, got "${value}"`);
  return parsed;
}

const FAULT_NAMES = ['orders', 'payments', 'products', 'router', 'payment-provider', 'nats', 'postgres-backends', 'postgres-restart'] as const;
type FaultName = (typeof FAULT_NAMES)[number];

const POSTGRES_MODE = (process.env['CHAOS_POSTGRES'] ?? 'shared') as 'shared' | 'private';
if (POSTGRES_MODE !== 'shared' && POSTGRES_MODE !== 'private') throw new Error(`CHAOS_POSTGRES must be shared or private, got "${String(POSTGRES_MODE)}"`);
const SETTINGS = {
  seconds: numberFromEnv('CHAOS_SECONDS', 96, { min: 10 }),
  checkouts: numberFromEnv('CHAOS_CHECKOUTS', 500, { min: 1 }),
  concurrency: numberFromEnv('CHAOS_CONCURRENCY', 20, { min: 1 }),
  settleSeconds: numberFromEnv('CHAOS_SETTLE_SECONDS', 90, { min: 5 }),
  downMs: numberFromEnv('CHAOS_DOWN_MS', 1_500),
  sagaDeadlineMs: numberFromEnv('CHAOS_SAGA_DEADLINE_MS', 30_000, { min: 1_000 }),
  pollMs: numberFromEnv('CHAOS_POLL_MS', 500, { min: 50 }),
  postgres: POSTGRES_MODE,
  databaseUrl: process.env['CHAOS_DATABASE_URL'] ?? process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  faults: faultsFromEnv(process.env['CHAOS_FAULTS']),
  keepLogs: process.env['CHAOS_KEEP_LOGS'] === '1' || process.env['CHAOS_KEEP_LOGS'] === 'true',
  resultsFile: process.env['CHAOS_RESULTS'] ?? new URL('../results/chaos-latest.json', import.meta.url).pathname,
};

/** CHAOS_FAULTS=orders,nats,… (default: all that this machine can do). */
function faultsFromEnv(value: string | undefined): FaultName[] {
  const possible = FAULT_NAMES.filter((fault) => fault !== 'postgres-restart' || POSTGRES_MODE === 'private');
  if (value === undefined || value.trim() === '') return possible;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(FAULT_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`CHAOS_FAULTS: unknown fault(s) ${unknown.join(', ')}; known: ${FAULT_NAMES.join(', ')}`);
  if (names.includes('postgres-restart') && POSTGRES_MODE !== 'private') throw new Error('CHAOS_FAULTS: postgres-restart needs CHAOS_POSTGRES=private');
  return names as FaultName[];
}

// --- output ------------------------------------------------------------------------
const startedAt = performance.now();
const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)}s`;
const say = (line: string) => console.log(`[${elapsed()}] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (at: number) => sleep(Math.max(0, at - performance.now()));

// --- the workload ---------------------------------------------------------------
type JourneyKind = 'visa' | 'declined' | 'processingError' | 'overStock' | 'scarce' | 'cancel';
const MIX: [JourneyKind, number][] = [
  ['visa', 62],
  ['declined', 10],
  ['processingError', 8],
  ['overStock', 5],
  ['scarce', 8],
  ['cancel', 7],
];
const TOKEN: Record<JourneyKind, string> = {
  visa: 'tok_visa',
  declined: 'tok_chargeDeclined',
  processingError: 'tok_processingError',
  overStock: 'tok_visa',
  scarce: 'tok_visa',
  cancel: 'tok_visa',
};
const CUSTOMERS = 40;
/** A placeOrder attempt gives up after this (then is retried with the same key). */
const PLACE_TIMEOUT_MS = 8_000;
/** A client keeps retrying one placeOrder this long. */
const PLACE_GIVE_UP_MS = 60_000;
/** How long one journey follows its order before moving on (the checks at rest read the databases anyway). */
const FOLLOW_MS = 25_000;

const CANCEL_ORDER = 'mutation ChaosCancelOrder($id: ID!) { cancelOrder(id: $id) { id status cancellationReason } }';

interface Journey {
  index: number;
  kind: JourneyKind;
  customer: string;
  key: string;
  orderId?: string;
  /** placeOrder calls made for this key (1 when the first succeeded). */
  placeCalls: number;
  /** Set when a retry or deliberate resubmission with the same key returned another order. */
  otherOrderIds: string[];
  /** The last status the client saw. */
  lastSeen?: string;
  cancelOutcome?: string;
  gaveUp?: string;
}

interface Catalog {
  plenty: CreatedProduct[];
  scarce: CreatedProduct;
}

function pickKind(random: number): JourneyKind {
  let threshold = 0;
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [kind, weight] of MIX) {
    threshold += weight / total;
    if (random < threshold) return kind;
  }
  return 'visa';
}

function itemsFor(kind: JourneyKind, catalog: Catalog): { productId: string; quantity: number }[] {
  const pick = () => catalog.plenty[Math.floor(Math.random() * catalog.plenty.length)]!;
  if (kind === 'overStock') return [{ productId: pick().id, quantity: 1 }, { productId: catalog.scarce.id, quantity: catalog.scarce.stock + 1 }];
  if (kind === 'scarce') return [{ productId: catalog.scarce.id, quantity: 1 + Math.floor(Math.random() * 3) }];
  // 1 to 3 distinct lines, in random order (so two orders lock the same rows in different orders).
  const lines = new Map<string, number>();
  const count = 1 + Math.floor(Math.random() * 3);
  for (let line = 0; line < count; line += 1) lines.set(pick().id, 1 + Math.floor(Math.random() * 2));
  return [...lines].map(([productId, quantity]) => ({ productId, quantity }));
}

class ErrorTally {
  readonly counts = new Map<string, number>();
  add(error: unknown): void {
    const key =
      error instanceof GraphQLCallError
        ? error.status === undefined
          ? 'no answer (refused/reset/timeout)'
          : `HTTP ${error.status}${error.codes.length ? ` ${[...new Set(error.codes)].join(',')}` : ''}`
        : error instanceof Error
          ? error.message.slice(0, 80)
          : String(error);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

/** Transient: retry with the same key. Anything else is the API saying no. */
function retryable(error: unknown): boolean {
  if (!(error instanceof GraphQLCallError)) return true;
  if (error.status === undefined || error.status >= 500) return true;
  return error.codes.some((code) => ['SUBGRAPH_UNAVAILABLE', 'INTERNAL_SERVER_ERROR', 'UNKNOWN'].includes(code));
}

async function placeWithRetries(cluster: Cluster, token: string, journey: Journey, input: Record<string, unknown>, errors: ErrorTally): Promise<string | undefined> {
  const giveUpAt = performance.now() + PLACE_GIVE_UP_MS;
  for (let attempt = 1; ; attempt += 1) {
    journey.placeCalls += 1;
    try {
      const { placeOrder } = await graphql<{ placeOrder: { id: string; status: string } }>(cluster.routerUrl, token, PLACE_ORDER, { input }, PLACE_TIMEOUT_MS);
      return placeOrder.id;
    } catch (error) {
      errors.add(error);
      if (!retryable(error)) {
        journey.gaveUp = `placeOrder refused: ${(error as Error).message.slice(0, 160)}`;
        return undefined;
      }
      if (performance.now() > giveUpAt) {
        journey.gaveUp = `placeOrder still failing after ${PLACE_GIVE_UP_MS / 1000} s: ${(error as Error).message.slice(0, 160)}`;
        return undefined;
      }
      await sleep(Math.min(2_000, 200 * attempt) + Math.random() * 200);
    }
  }
}

async function runJourney(cluster: Cluster, tokens: Map<string, string>, catalog: Catalog, journey: Journey, errors: ErrorTally): Promise<void> {
  const token = tokens.get(journey.customer)!;
  const input = { items: itemsFor(journey.kind, catalog), paymentToken: TOKEN[journey.kind], idempotencyKey: journey.key };
  const orderId = await placeWithRetries(cluster, token, journey, input, errors);
  if (!orderId) return;
  journey.orderId = orderId;
  // Some clients submit twice (a double click, a retry after a lost answer that did arrive): same key, same order.
  if (Math.random() < 0.1) {
    const again = await placeWithRetries(cluster, token, { ...journey, placeCalls: 0, otherOrderIds: [] }, input, errors);
    journey.placeCalls += 1;
    if (again && again !== orderId) journey.otherOrderIds.push(again);
  }
  if (journey.kind === 'cancel') {
    await sleep(Math.random() * 1_000);
    const giveUpAt = performance.now() + 15_000;
    for (;;) {
      try {
        const { cancelOrder } = await graphql<{ cancelOrder: { status: string; cancellationReason: string | null } }>(cluster.routerUrl, token, CANCEL_ORDER, { id: orderId }, PLACE_TIMEOUT_MS);
        journey.cancelOutcome = `${cancelOrder.status}${cancelOrder.cancellationReason ? ` (${cancelOrder.cancellationReason})` : ''}`;
        break;
      } catch (error) {
        if (!retryable(error)) {
          // Too late: the order was already final. That is an answer, not a failure.
          journey.cancelOutcome = `refused: ${(error as Error).message.slice(0, 100)}`;
          break;
        }
        errors.add(error);
        if (performance.now() > giveUpAt) {
          journey.cancelOutcome = 'no answer';
          break;
        }
        await sleep(300);
      }
    }
  }
  // Follow the order slowly until it is final (or the journey's time is up).
  const followUntil = performance.now() + FOLLOW_MS;
  while (performance.now() < followUntil) {
    await sleep(SETTINGS.pollMs);
    try {
      const { order } = await graphql<{ order: { status: string; cancellationReason: string | null } | null }>(cluster.routerUrl, token, ORDER_STATUS, { id: orderId }, 5_000);
      if (order) journey.lastSeen = `${order.status}${order.cancellationReason ? ` (${order.cancellationReason})` : ''}`;
      if (order && order.status !== 'PENDING') return;
    } catch (error) {
      errors.add(error);
    }
  }
}

// --- faults -----------------------------------------------------------------------
interface FaultRecord {
  fault: FaultName;
  at: string;
  /** ms from the fault to every service answering /ready again. */
  recoveredAfterMs: number | undefined;
  detail: string;
  error?: string;
}

/** Services that should be running; a watchdog restarts one that died on its own (as a supervisor would), after recording it. */
class Supervisor {
  readonly downOnPurpose = new Set<string>();
  readonly restarts: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(private readonly cluster: Cluster) {}

  start(): void {
    this.#timer = setInterval(() => void this.#check(), 1_000);
  }

  async #check(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const name of [...SERVICE_NAMES, 'nats'] as const) {
        if (name === 'nats' && !this.cluster.natsMonitorUrl) continue;
        if (this.downOnPurpose.has(name) || this.cluster.pid(name) !== undefined) continue;
        say(`watchdog: ${name} is not running and nobody stopped it: restarting it`);
        this.restarts.push(name);
        await this.cluster.restart(name).catch((error: unknown) => say(`watchdog: restarting ${name} failed: ${String(error)}`));
      }
    } finally {
      this.#busy = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

async function allReady(cluster: Cluster, timeoutMs: number): Promise<boolean> {
  try {
    await Promise.all(SERVICE_NAMES.map((name) => cluster.waitReady(name, timeoutMs)));
    return true;
  } catch {
    return false;
  }
}

async function inject(cluster: Cluster, supervisor: Supervisor, fault: FaultName): Promise<FaultRecord> {
  const began = performance.now();
  const record: FaultRecord = { fault, at: elapsed().trim(), recoveredAfterMs: undefined, detail: '' };
  const down = SETTINGS.downMs * (0.7 + Math.random() * 0.6);
  try {
    switch (fault) {
      case 'postgres-backends': {
        // Three rounds over ~2 s, so some land under running queries, not only on idle connections.
        const counts: number[] = [];
        for (let round = 0; round < 3; round += 1) {
          counts.push(await cluster.terminateBackends());
          await sleep(700);
        }
        record.detail = `pg_terminate_backend on the run's databases: ${counts.join(' + ')} backends`;
        break;
      }
      case 'postgres-restart': {
        supervisor.downOnPurpose.add('postgres');
        await cluster.kill('postgres', 'SIGQUIT'); // immediate shutdown: crash recovery on start
        await sleep(down);
        await cluster.restart('postgres');
        supervisor.downOnPurpose.delete('postgres');
        record.detail = `Postgres stopped (immediate) for ${Math.round(down)} ms`;
        break;
      }
      default: {
        const name = fault;
        supervisor.downOnPurpose.add(name);
        await cluster.kill(name, 'SIGKILL');
        await sleep(down);
        await cluster.restart(name);
        supervisor.downOnPurpose.delete(name);
        record.detail = `kill -9 ${name}, down ${Math.round(down)} ms`;
      }
    }
  } catch (error) {
    record.error = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    say(`fault ${fault}: injection failed: ${record.error}`);
  }
  if (await allReady(cluster, 60_000)) record.recoveredAfterMs = Math.round(performance.now() - began);
  say(`fault ${fault}: ${record.detail}; every service ready again after ${record.recoveredAfterMs ?? '(not within 60 s)'} ms`);
  return record;
}

// --- rest and checks ----------------------------------------------------------------
async function waitForRest(reader: SagaReader, seconds: number): Promise<{ state: SagaState; violations: Violation[]; waitedMs: number; atRest: boolean }> {
  const began = performance.now();
  const deadline = began + seconds * 1000;
  let stableSince = performance.now();
  let lastFingerprint = '';
  let lastState: SagaState | undefined;
  for (;;) {
    try {
      const state = await reader.read();
      lastState = state;
      const violations = violationsAtRest(state);
      const quiet =
        !state.orders.some((order) => order.status === 'PENDING') &&
        !state.payments.some((payment) => payment.status === 'PENDING') &&
        Object.values(state.outboxBacklog).every((backlog) => backlog === 0) &&
        (state.consumerBacklog ?? 0) === 0;
      const fingerprint = JSON.stringify([
        state.orders.map((o) => o.status).sort(),
        state.payments.map((p) => p.status).sort(),
        state.reservations.map((r) => r.status).sort(),
        state.charges.map((c) => c.status).sort(),
        state.outboxBacklog,
        state.consumerBacklog,
      ]);
      if (fingerprint !== lastFingerprint) {
        lastFingerprint = fingerprint;
        stableSince = performance.now();
      }
      const waitedMs = Math.round(performance.now() - began);
      if (quiet && violations.length === 0) return { state, violations, waitedMs, atRest: true };
      // Quiet but violated: give periodic jobs (the payment reconciler, the deadline sweeper) a while to repair it.
      if (quiet && performance.now() - stableSince > 15_000) return { state, violations, waitedMs, atRest: true };
      if (performance.now() > deadline) return { state, violations, waitedMs, atRest: false };
    } catch (error) {
      // A read failed (a connection terminated meanwhile): try again until the deadline.
      if (performance.now() > deadline) {
        if (!lastState) throw new Error(`could not read the saga's state: ${String(error)}`, { cause: error });
        return { state: lastState, violations: violationsAtRest(lastState), waitedMs: Math.round(performance.now() - began), atRest: false };
      }
    }
    await sleep(1_000);
  }
}

function tally<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([name, count]) => `${count} ${name}`).join(', ') || 'none';
}

/** The lines of a process's log worth showing: a crash's message (stderr, not JSON) with the top of its stack, else error-level log lines, else the tail. */
function interestingLines(logTail: string): string[] {
  const lines = logTail.split('\n');
  const clip = (line: string) => (line.length > 300 ? `${line.slice(0, 300)}…` : line);
  const crash = lines.filter((line) => !line.startsWith('{'));
  if (crash.length > 0) {
    let stackLines = 0;
    return crash
      .filter((line) => {
        if (!/^\s+at /.test(line)) {
          stackLines = 0;
          return true;
        }
        stackLines += 1;
        return stackLines <= 2;
      })
      .slice(0, 16)
      .map(clip);
  }
  const errors = lines.filter((line) => /"level":(50|60)/.test(line));
  return (errors.length > 0 ? errors : lines).slice(-8).map(clip);
}

// --- main -----------------------------------------------------------------------------
async function main(): Promise<number> {
  if (!natsServerAvailable) {
    console.log('chaos: skipped: needs nats-server (NATS_SERVER_BIN, default /usr/sbin/nats-server) for a private server it can kill');
    return 0;
  }
  if (SETTINGS.postgres === 'private' && !privatePostgresAvailable) {
    console.log('chaos: CHAOS_POSTGRES=private needs initdb and postgres (POSTGRES_BIN_DIR, default /usr/lib/postgresql/15/bin)');
    return 1;
  }
  const phaseMs = (SETTINGS.seconds * 1000) / SETTINGS.faults.length;
  say(
    `chaos run: ${SETTINGS.checkouts} checkouts over ${SETTINGS.seconds} s, at most ${SETTINGS.concurrency} in flight; ` +
      `${SETTINGS.faults.length} phases of ${(phaseMs / 1000).toFixed(1)} s, one fault each: ${SETTINGS.faults.join(', ')}; ` +
      `Postgres ${SETTINGS.postgres === 'private' ? 'private cluster' : `shared (${new URL(SETTINGS.databaseUrl).host})`}, private nats-server; ` +
      `saga deadline ${SETTINGS.sagaDeadlineMs} ms; up to ${SETTINGS.settleSeconds} s to come to rest`,
  );
  const cluster = await startCluster({
    name: 'chaos',
    postgres: SETTINGS.postgres === 'private' ? { kind: 'private' } : { kind: 'shared', url: SETTINGS.databaseUrl },
    nats: { kind: 'private' },
    env: { SAGA_DEADLINE_MS: String(SETTINGS.sagaDeadlineMs), LOG_LEVEL: process.env['CHAOS_LOG_LEVEL'] ?? 'info' },
    log: say,
  });
  const supervisor = new Supervisor(cluster);
  const reader = new SagaReader(cluster);
  let failed = true;
  const onSignal = () => {
    say('interrupted: stopping the cluster');
    void cluster.stop({ keepLogs: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!cluster.providerKeepsLedger) {
      say('note: the payment provider keeps its ledger in memory (no PAYMENT_PROVIDER_DATA_DIR support found): a provider restart forgets every charge');
    }
    const stamp = Date.now().toString(36);
    const [scarce, ...plenty] = await createCatalog(cluster, [
      { sku: `CHAOS-SCARCE-${stamp}`, name: 'Scarce', amount: 1_500, stock: 40 },
      { sku: `CHAOS-A-${stamp}`, name: 'A', amount: 1_000, stock: 100_000 },
      { sku: `CHAOS-B-${stamp}`, name: 'B', amount: 2_500, stock: 100_000 },
      { sku: `CHAOS-C-${stamp}`, name: 'C', amount: 799, stock: 100_000 },
    ]);
    const catalog: Catalog = { scarce: scarce!, plenty };
    const tokens = new Map<string, string>();
    for (let index = 0; index < CUSTOMERS; index += 1) tokens.set(`chaos-${index}`, await cluster.token(`chaos-${index}`, ['customer']));
    supervisor.start();

    // Load: checkouts paced evenly over the run, at most CONCURRENCY in flight.
    const journeys: Journey[] = [];
    const errors = new ErrorTally();
    const loadStart = performance.now();
    const loadStartedAt = Date.now();
    const loadEnd = loadStart + SETTINGS.seconds * 1000;
    const interval = (SETTINGS.seconds * 1000) / SETTINGS.checkouts;
    let next = 0;
    const worker = async () => {
      for (;;) {
        const index = next;
        next += 1;
        if (index >= SETTINGS.checkouts) return;
        await sleepUntil(loadStart + index * interval);
        if (performance.now() > loadEnd + 5_000) return;
        const journey: Journey = {
          index,
          kind: pickKind(Math.random()),
          customer: `chaos-${index % CUSTOMERS}`,
          key: `chaos-${randomUUID()}`,
          placeCalls: 0,
          otherOrderIds: [],
        };
        journeys.push(journey);
        await runJourney(cluster, tokens, catalog, journey, errors);
      }
    };
    const workers = Promise.all(Array.from({ length: SETTINGS.concurrency }, () => worker()));

    const faults: FaultRecord[] = [];
    for (const [index, fault] of SETTINGS.faults.entries()) {
      const phaseStart = loadStart + index * phaseMs;
      await sleepUntil(phaseStart + phaseMs * 0.3);
      say(`phase ${index + 1}/${SETTINGS.faults.length}: ${fault} (${journeys.length} checkouts started so far)`);
      faults.push(await inject(cluster, supervisor, fault));
      await sleepUntil(phaseStart + phaseMs);
    }
    say(`load done; waiting for the last ${journeys.filter((journey) => !journey.lastSeen || journey.lastSeen.startsWith('PENDING')).length} journeys to finish following their orders…`);
    await workers;

    say(`waiting for rest (at most ${SETTINGS.settleSeconds} s)…`);
    const rest = await waitForRest(reader, SETTINGS.settleSeconds);
    supervisor.stop();
    const { state } = rest;
    const violations: Violation[] = [...rest.violations];
    if (!rest.atRest) violations.push({ rule: 'not at rest in time', detail: `still moving after ${SETTINGS.settleSeconds} s` });
    for (const exit of cluster.unexpectedExits()) {
      violations.push({ rule: 'process exited on its own', detail: `${exit.name} (pid ${exit.pid}) at ${exit.at.toISOString()}: code ${exit.code}, signal ${exit.signal}` });
    }
    for (const fault of faults) if (fault.error) violations.push({ rule: 'fault injection failed', detail: `${fault.fault}: ${fault.error}` });
    for (const journey of journeys) {
      if (journey.otherOrderIds.length > 0) {
        violations.push({ rule: 'idempotency key answered with two orders', detail: `key ${journey.key}: ${journey.orderId} then ${journey.otherOrderIds.join(', ')}` });
      }
    }

    // --- summary ---
    const ordersByKey = new Map(state.orders.map((order) => [`${order.customer_id}\u0000${order.idempotency_key}`, order]));
    const outcomeOf = (journey: Journey) => {
      const order = ordersByKey.get(`${journey.customer}\u0000${journey.key}`);
      if (!order) return journey.gaveUp ? 'no order (client gave up)' : 'no order';
      return `${order.status}${order.cancellation_reason ? ` (${order.cancellation_reason})` : ''}`;
    };
    const goodCardDeclined = journeys.filter((journey) => journey.kind === 'visa' && outcomeOf(journey) === 'CANCELLED (PAYMENT_DECLINED)');
    const paymentsById = new Map(state.payments.map((payment) => [payment.order_id, payment]));
    const declineReasons = tally(goodCardDeclined, (journey) => paymentsById.get(ordersByKey.get(`${journey.customer}\u0000${journey.key}`)!.id)?.failure_reason ?? 'no payment');
    const cpu = await cluster.cpu();

    console.log('\n==================== chaos run summary ====================');
    console.log(`cluster ${cluster.id}; Postgres ${SETTINGS.postgres}; provider ledger ${cluster.providerKeepsLedger ? 'on disk (PAYMENT_PROVIDER_DATA_DIR)' : 'in memory'}`);
    console.log(`checkouts started: ${journeys.length} (${tally(journeys, (journey) => journey.kind)})`);
    console.log(`placeOrder calls: ${journeys.reduce((sum, journey) => sum + journey.placeCalls, 0)}; client errors (retried where transient): ${[...errors.counts].map(([key, count]) => `${count} × ${key}`).join('; ') || 'none'}`);
    console.log(`orders in the database: ${state.orders.length}: ${tally(state.orders, (order) => `${order.status}${order.cancellation_reason ? ` (${order.cancellation_reason})` : ''}`)}`);
    console.log('outcome by kind of checkout:');
    for (const [kind] of MIX) {
      const ofKind = journeys.filter((journey) => journey.kind === kind);
      if (ofKind.length > 0) console.log(`  ${kind.padEnd(16)} ${String(ofKind.length).padStart(4)}: ${tally(ofKind, outcomeOf)}`);
    }
    const cancels = journeys.filter((journey) => journey.cancelOutcome !== undefined);
    if (cancels.length > 0) console.log(`cancelOrder answers: ${tally(cancels, (journey) => (journey.cancelOutcome!.startsWith('refused') ? 'refused (order already final)' : journey.cancelOutcome!))}`);
    console.log(`payments: ${tally(state.payments, (payment) => `${payment.status}${payment.failure_reason ? ` (${payment.failure_reason})` : ''}`)}`);
    console.log(`provider charges: ${tally(state.charges, (charge) => charge.status)}`);
    const phaseAt = (at: Date) => {
      const offset = at.getTime() - loadStartedAt;
      const phase = Math.floor(offset / phaseMs);
      return `+${(offset / 1000).toFixed(1)} s into the load${phase >= 0 && phase < SETTINGS.faults.length ? `, phase ${SETTINGS.faults[phase]}` : ''}`;
    };
    const goodCardTimedOut = state.orders.filter(
      (order) => order.cancellation_reason === 'TIMED_OUT' && journeys.find((journey) => journey.customer === order.customer_id && journey.key === order.idempotency_key)?.kind !== 'declined',
    );
    if (goodCardTimedOut.length > 0) {
      console.log(`noticed: ${goodCardTimedOut.length} order(s) with a good card ended TIMED_OUT (deadline ${SETTINGS.sagaDeadlineMs} ms): ${goodCardTimedOut.map((order) => `${order.id} placed ${phaseAt(order.created_at)}`).join('; ')}`);
    }
    if (goodCardDeclined.length > 0) console.log(`noticed: ${goodCardDeclined.length} tok_visa orders ended PAYMENT_DECLINED (payment failure reasons: ${declineReasons})`);
    console.log('faults injected:');
    for (const fault of faults) {
      console.log(`  ${fault.at.padStart(7)} ${fault.fault.padEnd(18)} ${fault.detail}; all ready after ${fault.recoveredAfterMs ?? '—'} ms${fault.error ? `; FAILED: ${fault.error}` : ''}`);
    }
    if (supervisor.restarts.length > 0) console.log(`watchdog restarts (processes that had died on their own): ${supervisor.restarts.join(', ')}`);
    console.log(`at rest after ${(rest.waitedMs / 1000).toFixed(1)} s${rest.atRest ? '' : ' (NOT at rest: gave up waiting)'}; outbox backlog ${JSON.stringify(state.outboxBacklog)}; consumer backlog ${state.consumerBacklog ?? 'unknown'}`);
    console.log(
      `CPU ms over the whole run: ${SERVICE_NAMES.map((name) => `${name} ${Math.round(cpu.services[name])}`).join(', ')}, ` +
        `Postgres backends ${Math.round(cpu.postgresBackends)}, nats-server ${Math.round(cpu.nats ?? 0)}, this driver ${Math.round(cpu.driver)}`,
    );
    for (const exit of cluster.unexpectedExits()) {
      console.log(`\n${exit.name} (pid ${exit.pid}) exited on its own (code ${exit.code}, signal ${exit.signal}); its last log lines:`);
      for (const line of interestingLines(exit.logTail)) console.log(`    ${line}`);
    }
    if (violations.length === 0) {
      console.log('\nviolations: none');
    } else {
      console.log(`\nviolations: ${violations.length}`);
      for (const [rule, count] of countByRule(violations)) {
        console.log(`  ${String(count).padStart(4)} × ${rule}`);
        for (const violation of violations.filter((v) => v.rule === rule).slice(0, 3)) console.log(`         e.g. ${violation.detail}`);
      }
    }
    await mkdir(new URL('.', `file://${SETTINGS.resultsFile}`).pathname, { recursive: true });
    await writeFile(
      SETTINGS.resultsFile,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          settings: { ...SETTINGS, databaseUrl: new URL(SETTINGS.databaseUrl).host },
          providerKeepsLedger: cluster.providerKeepsLedger,
          checkouts: journeys.length,
          journeys: Object.fromEntries(MIX.map(([kind]) => [kind, tally(journeys.filter((j) => j.kind === kind), outcomeOf)])),
          orders: tally(state.orders, (order) => `${order.status}${order.cancellation_reason ? ` (${order.cancellation_reason})` : ''}`),
          clientErrors: Object.fromEntries(errors.counts),
          faults,
          unexpectedExits: cluster.unexpectedExits().map(({ logTail, ...exit }) => ({ ...exit, log: interestingLines(logTail) })),
          atRestAfterMs: rest.waitedMs,
          violationsByRule: Object.fromEntries(countByRule(violations)),
          violations: violations.slice(0, 200),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nresults: ${SETTINGS.resultsFile}; service logs: ${SETTINGS.keepLogs || violations.length > 0 ? cluster.logDir : '(removed; CHAOS_KEEP_LOGS=1 keeps them)'}`);
    failed = violations.length > 0;
    return failed ? 1 : 0;
  } finally {
    supervisor.stop();
    await reader.close();
    await cluster.stop({ keepLogs: SETTINGS.keepLogs || failed });
    say('cluster stopped and cleaned up');
  }
}

process.exitCode = await main();
// Lingering sockets (keep-alive fetch connections) must not hold the run open.
setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
