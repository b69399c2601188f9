/**
 * The supergraph as separate processes on Postgres + NATS JetStream, the way it
 * is deployed: the card provider simulator, products, orders, payments and the
 * router, each a child process of its own (`node --import tsx
 * apps/launcher/src/main.ts` with SERVICES=<name>), on free ports, with
 * databases and a NATS namespace unique to this run, one JWT secret and one
 * secret per subgraph. Logs go to files under a temp dir.
 *
 * With `replicas` > 1 each subgraph and the router run that many processes
 * (the card provider stays one, an outside party): every subgraph replica
 * starts at the same moment on the empty databases, the routers reach each
 * subgraph through a balancer in this process (./balancer.ts, what a
 * Kubernetes Service is in a cluster), and clients pick a router themselves
 * (`routerUrls`). A replica is named by its service and number: `orders`
 * (the first), `orders#2`.
 *
 * The chaos run kills and restarts its processes; the bench reads the CPU
 * each one (and Postgres, and nats-server) used. Nothing here holds an
 * in-process handle on a service: what a caller learns, it learns over HTTP,
 * from the databases or from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { deleteJetStreamNamespace } from '@shop/events';
import { freePorts } from '@shop/events/testing';
import { signDevelopmentToken } from '@shop/router';
import { startBalancer, type Balancer } from './balancer.js';
import { findNatsServer, machineBusyMs, readProcStat, treeCpuMs } from './proc.js';

export const SERVICE_NAMES = ['payment-provider', 'products', 'orders', 'payments', 'router'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export const SUBGRAPH_NAMES = ['products', 'orders', 'payments'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
/** Processes the cluster can kill and restart: the services, and a private nats-server or Postgres. */
export type ProcessName = ServiceName | 'nats' | 'postgres';
/** Services with replicas: the subgraphs and the router. */
const REPLICATED: readonly ServiceName[] = [...SUBGRAPH_NAMES, 'router'];

/** A process's name: its service for the first replica (`orders`), then `orders#2`, `orders#3`… */
export function instanceName(name: ProcessName, replica = 0): string {
  return replica === 0 ? name : `${name}#${replica + 1}`;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LAUNCHER_MAIN = join(REPO_ROOT, 'apps/launcher/src/main.ts');
const LAUNCHER_COMPILED = join(REPO_ROOT, 'apps/launcher/dist/main.js');
export const NATS_SERVER_BIN = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';
export const POSTGRES_BIN_DIR = process.env['POSTGRES_BIN_DIR'] ?? '/usr/lib/postgresql/15/bin';
export const natsServerAvailable = existsSync(NATS_SERVER_BIN);
export const privatePostgresAvailable = existsSync(join(POSTGRES_BIN_DIR, 'initdb')) && existsSync(join(POSTGRES_BIN_DIR, 'postgres'));

/**
 * The node options each service's container starts with (V8's heap sizing), which compiled processes
 * run with here too: its docker-compose.yml service's own command (the subgraphs'), else the image's
 * (the Dockerfile's CMD: the router's). The card provider simulator's command has none.
 */
function containerNodeOptions(): Record<ServiceName, string[]> {
  const match = /^CMD (\[.*\])$/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  if (!match) throw new Error('expected a CMD ["node", …, "apps/launcher/dist/main.js"] line in the Dockerfile');
  const imageCommand = JSON.parse(match[1]!) as string[];
  const services = (parseYaml(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command?: string[] }> }).services;
  const optionsOf = (command: string[]) => command.slice(1, command.findIndex((argument, index) => index > 0 && !argument.startsWith('-')));
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, optionsOf(services[name]?.command ?? imageCommand)])) as Record<ServiceName, string[]>;
}

export interface ClusterOptions {
  /**
   * `shared`: a running server (`url`: any database on it, e.g. postgres://postgres@127.0.0.1:5432/postgres).
   * `private`: a Postgres cluster of this run's own (initdb in a temp dir, a spare port), which may be stopped.
   */
  postgres: { kind: 'shared'; url: string } | { kind: 'private' };
  /** `shared`: a running nats-server with JetStream; `private`: a nats-server of this run's own, which may be killed. */
  nats: { kind: 'shared'; url: string } | { kind: 'private' };
  /** Prefix of this run's databases and NATS namespace (a random suffix is appended). */
  name: string;
  /** Extra node arguments of one service, e.g. `{ router: ['--cpu-prof', '--cpu-prof-dir=…'] }` (after BENCH_NODE_ARGS). */
  nodeArgs?: Partial<Record<ServiceName, string[]>>;
  /** Extra environment for every service process (SAGA_DEADLINE_MS, LOG_LEVEL…). */
  env?: Record<string, string>;
  /** Log lines of the cluster itself (starts, kills); silent when absent. */
  log?: (line: string) => void;
  /** Processes of each subgraph and of the router (default 1). */
  replicas?: number;
}

/** CPU time, ms, used so far; take two and subtract. */
export interface CpuSnapshot {
  at: number;
  /** Each service, its replicas added up. */
  services: Record<ServiceName, number>;
  /** Each service process by instance name (`orders`, `orders#2`…). */
  instances: Record<string, number>;
  /**
   * Postgres backends serving this run's databases (summed per backend, sampled
   * every 250 ms: work a backend does in its last 250 ms before it exits is
   * missed). Shared server: other users' work is excluded.
   */
  postgresBackends: number;
  /** The whole Postgres process tree (postmaster, its auxiliary processes and every backend, of every database), when its postmaster is found. */
  postgresCluster: number | undefined;
  /** nats-server: the private one, or the whole shared server process (other users' traffic included). */
  nats: number | undefined;
  /** This (load generator) process: excluded from the cluster's figures. */
  driver: number;
  /** The whole machine's busy CPU (all cores, all processes), to see what else ran meanwhile. */
  machine: number | undefined;
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const minus = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  const services = Object.fromEntries(SERVICE_NAMES.map((name) => [name, after.services[name] - before.services[name]])) as Record<ServiceName, number>;
  const instances = Object.fromEntries(Object.entries(after.instances).map(([name, ms]) => [name, ms - (before.instances[name] ?? 0)]));
  return {
    at: after.at - before.at,
    services,
    instances,
    postgresBackends: after.postgresBackends - before.postgresBackends,
    postgresCluster: minus(after.postgresCluster, before.postgresCluster),
    nats: minus(after.nats, before.nats),
    driver: after.driver - before.driver,
    machine: minus(after.machine, before.machine),
  };
}

export interface ProcessExit {
  /** Instance name: `orders`, `orders#2`, `nats`… */
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
  /** The last lines of its log. */
  logTail: string;
}

export interface Cluster {
  readonly id: string;
  /** Database prefix: this run's databases are `<databasePrefix>_products`, `_orders`, `_payments`. */
  readonly databasePrefix: string;
  readonly namespace: string;
  readonly logDir: string;
  /** The (first) router's GraphQL endpoint. */
  readonly routerUrl: string;
  /** Every router replica's GraphQL endpoint. */
  readonly routerUrls: readonly string[];
  readonly replicas: number;
  readonly providerUrl: string;
  /** Base URL of each service: a subgraph's balancer when it has replicas, the first router. */
  readonly urls: Record<ServiceName, string>;
  /** Base URL of each replica of a service (its own /metrics, /ready). */
  replicaUrls(name: ServiceName): string[];
  readonly natsUrl: string;
  /** nats-server's HTTP monitoring endpoint (private server only): /jsz shows each consumer's pending messages. */
  readonly natsMonitorUrl: string | undefined;
  /** A server URL whose path is the database name, for direct reads: `databaseUrl('orders')`. */
  databaseUrl(subgraph: SubgraphName): string;
  /** Maintenance connection URL (database `postgres`). */
  readonly adminDatabaseUrl: string;
  /** Whether the payment provider was given a data dir it understands (PAYMENT_PROVIDER_DATA_DIR / dataDir). */
  readonly providerKeepsLedger: boolean;
  /** The secret each subgraph expects in x-shop-subgraph-secret (another gateway in front of the subgraphs needs it). */
  readonly subgraphSecrets: Readonly<Record<SubgraphName, string>>;
  token(sub: string, roles: ('customer' | 'admin')[]): Promise<string>;
  /** `replica`: 0 for the first process of the service (the default), 1 for `<name>#2`… */
  pid(name: ProcessName, replica?: number): number | undefined;
  /** Sends the signal and waits until the process has exited. Not reported as an unexpected exit. */
  kill(name: ProcessName, signal?: NodeJS.Signals, replica?: number): Promise<void>;
  /** Starts a killed process again (same ports, data, namespace) and waits until it is ready. */
  restart(name: ProcessName, replica?: number): Promise<void>;
  /** Waits until the service (one replica of it) answers 200 on /ready. */
  waitReady(name: ServiceName, timeoutMs?: number, replica?: number): Promise<void>;
  /** Terminates every Postgres backend of this run's databases; returns how many. */
  terminateBackends(): Promise<number>;
  /** Processes that exited without being killed or stopped by the cluster. */
  unexpectedExits(): ProcessExit[];
  cpu(): Promise<CpuSnapshot>;
  /** Log of a process by instance name (`orders`, `orders#2`, `nats`). */
  logFile(name: string): string;
  /** Stops every process, drops the databases, deletes the namespace, removes the temp dirs (logs too unless `keepLogs`). */
  stop(options?: { keepLogs?: boolean }): Promise<void>;
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tail(file: string, lines = 40): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).slice(-lines).join('\n');
}

/** Whether the payment provider's code reads a data dir (another change adds it); checked in its source. */
async function providerSupportsDataDir(): Promise<boolean> {
  const sources = ['packages/payment-provider/src/main.ts', 'packages/payment-provider/src/simulator.ts', 'apps/launcher/src/config.ts', 'apps/launcher/src/supergraph.ts'];
  for (const source of sources) {
    const text = await readFile(join(REPO_ROOT, source), 'utf8').catch(() => '');
    if (text.includes('PAYMENT_PROVIDER_DATA_DIR')) return true;
  }
  return false;
}

/** Environment variables the launcher reads that must not leak from the caller's shell into a service. */
const LAUNCHER_VARIABLES = [
  'DATABASE_URL', 'DATA_DIR', 'NATS_URL', 'NATS_NAMESPACE', 'SERVICES', 'HOST', 'ROUTER_PORT', 'ROUTER_METRICS_PORT',
  'PRODUCTS_PORT', 'ORDERS_PORT', 'PAYMENTS_PORT', 'PAYMENT_PROVIDER_PORT', 'PAYMENT_PROVIDER_URL', 'PAYMENT_PROVIDER_DATA_DIR',
  'PRODUCTS_URL', 'ORDERS_URL', 'PAYMENTS_URL', 'PRODUCTS_SUBGRAPH_SECRET', 'ORDERS_SUBGRAPH_SECRET', 'PAYMENTS_SUBGRAPH_SECRET',
  'JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'SEED_DEMO_DATA', 'NODE_ENV', 'SAGA_DEADLINE_MS', 'SAGA_SWEEP_INTERVAL_MS',
  'PERSISTED_DOCUMENTS_ONLY', 'LOG_LEVEL',
];

interface Managed {
  child: ChildProcess | undefined;
  /** CPU of earlier instances of this process (killed, restarted), ms. */
  pastCpuMs: number;
  /** Last CPU reading of the current instance, ms. */
  lastCpuMs: number;
  /** Set before the cluster itself signals the process. */
  expectExit: boolean;
}

/** Starts the cluster; throws (after cleaning up) if a process does not become ready. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const id = `${options.name}_${randomBytes(4).toString('hex')}`;
  const databasePrefix = id;
  const namespace = id;
  const root = await mkdtemp(join(tmpdir(), `${options.name}-`));
  const logDir = join(root, 'logs');
  await mkdir(logDir);
  const providerDataDir = join(root, 'provider');
  await mkdir(providerDataDir);
  const providerKeepsLedger = await providerSupportsDataDir();
  const compiled = process.env['BENCH_COMPILED'] === '1';
  // Read once: every compiled process (and every restart) gets its container's command flags.
  const containerOptions = compiled ? containerNodeOptions() : undefined;
  if (compiled && !existsSync(LAUNCHER_COMPILED)) throw new Error(`BENCH_COMPILED=1 needs ${LAUNCHER_COMPILED}: run npm run build first`);

  const replicas = options.replicas ?? 1;
  const replicasOf = (name: ServiceName) => (REPLICATED.includes(name) ? replicas : 1);
  // One address per subgraph for the routers, as a Service gives in a cluster; listening before any
  // port is chosen below, so that none of those can be the one a balancer gets.
  const balancers = new Map<SubgraphName, Balancer>();
  if (replicas > 1) for (const name of SUBGRAPH_NAMES) balancers.set(name, await startBalancer());
  // Every port of the run chosen together, so that no two processes get the same one.
  const instances = SERVICE_NAMES.flatMap((name) => Array.from({ length: replicasOf(name) }, (_, replica) => instanceName(name, replica)));
  const privateServers = [...(options.nats.kind === 'private' ? ['nats', 'nats-monitor'] : []), ...(options.postgres.kind === 'private' ? ['postgres'] : [])];
  const chosen = await freePorts(instances.length + privateServers.length);
  const ports = new Map([...instances, ...privateServers].map((instance, index) => [instance, chosen[index]!]));
  const portOf = (name: ServiceName, replica = 0) => ports.get(instanceName(name, replica))!;
  const replicaUrls = (name: ServiceName) => Array.from({ length: replicasOf(name) }, (_, replica) => `http://127.0.0.1:${portOf(name, replica)}`);
  const urls = Object.fromEntries(SERVICE_NAMES.map((name) => [name, replicaUrls(name)[0]!])) as Record<ServiceName, string>;
  for (const [name, balancer] of balancers) {
    balancer.setBackends(Array.from({ length: replicas }, (_, replica) => portOf(name, replica)));
    urls[name] = `http://127.0.0.1:${balancer.port}`;
  }
  const jwtSecret = randomBytes(32).toString('base64url');
  const secrets: Record<SubgraphName, string> = {
    products: randomBytes(24).toString('base64url'),
    orders: randomBytes(24).toString('base64url'),
    payments: randomBytes(24).toString('base64url'),
  };

  /** By instance name. */
  const managed = new Map<string, Managed>();
  const exits: ProcessExit[] = [];
  const removeDirs: string[] = [root];
  const logFile = (name: string) => join(logDir, `${name}.log`);

  // --- private Postgres and nats-server -----------------------------------------
  const natsPort = ports.get('nats');
  const natsUrl = options.nats.kind === 'shared' ? options.nats.url : `nats://127.0.0.1:${natsPort}`;
  const natsStoreDir = join(root, 'nats');
  const natsMonitorPort = ports.get('nats-monitor');
  const postgresPort = ports.get('postgres');
  let postgresDataDir: string | undefined;
  let postgresUser: { uid: number; gid: number } | undefined;
  const serverUrl = new URL(options.postgres.kind === 'shared' ? options.postgres.url : `postgres://postgres@127.0.0.1:${postgresPort}/postgres`);
  const databaseUrl = (subgraph: SubgraphName | 'postgres' | 'prefix') => {
    const url = new URL(serverUrl);
    url.pathname = `/${subgraph === 'postgres' ? 'postgres' : subgraph === 'prefix' ? databasePrefix : `${databasePrefix}_${subgraph}`}`;
    return url.toString();
  };

  function track(name: string, child: ChildProcess): void {
    const entry = managed.get(name)!;
    entry.child = child;
    entry.lastCpuMs = 0;
    entry.expectExit = false;
    child.once('exit', (code, signal) => {
      entry.pastCpuMs += entry.lastCpuMs;
      entry.lastCpuMs = 0;
      if (entry.child === child) entry.child = undefined;
      if (entry.expectExit) return;
      void tail(logFile(name)).then((logTail) => {
        exits.push({ name, pid: child.pid ?? -1, code, signal, at: new Date(), logTail });
        log(`!! ${name} (pid ${child.pid}) exited on its own: code ${code}, signal ${signal}`);
      });
    });
  }

  function spawnLogged(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, extra: { uid?: number; gid?: number; cwd?: string } = {}): ChildProcess {
    if (!managed.has(name)) managed.set(name, { child: undefined, pastCpuMs: 0, lastCpuMs: 0, expectExit: false });
    const fd = openSync(logFile(name), 'a');
    try {
      const child = spawn(command, args, { cwd: extra.cwd ?? REPO_ROOT, env, stdio: ['ignore', fd, fd], ...extra });
      track(name, child);
      return child;
    } finally {
      closeSync(fd);
    }
  }

  async function startNats(): Promise<void> {
    spawnLogged('nats', NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(natsPort), '-m', String(natsMonitorPort), '-js', '-sd', natsStoreDir], process.env);
    await waitForTcp('nats', natsPort!, 15_000);
  }

  async function initPostgres(): Promise<void> {
    postgresDataDir = await mkdtemp(join(tmpdir(), `${options.name}-pg-`));
    removeDirs.push(postgresDataDir);
    // Postgres refuses to run as root: run it as the postgres user when we are root.
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      postgresUser = { uid, gid };
      await chown(postgresDataDir, uid, gid);
    }
    const initdb = spawn(join(POSTGRES_BIN_DIR, 'initdb'), ['-D', postgresDataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: postgresDataDir,
      ...(postgresUser ?? {}),
    });
    let output = '';
    initdb.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    initdb.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => initdb.once('exit', resolve));
    if (code !== 0) throw new Error(`initdb failed (${code}):\n${output}`);
  }

  async function startPostgres(): Promise<void> {
    const args = [
      '-D', postgresDataDir!, '-p', String(postgresPort), '-k', postgresDataDir!, '-c', 'listen_addresses=127.0.0.1',
      // A crash (immediate stop) is what the chaos run exercises; an OS crash is not, so no fsync.
      '-c', 'fsync=off', '-c', 'max_connections=200', '-c', 'shared_buffers=64MB',
    ];
    spawnLogged('postgres', join(POSTGRES_BIN_DIR, 'postgres'), args, { ...process.env, LC_ALL: 'C.UTF-8' }, { cwd: postgresDataDir!, ...(postgresUser ?? {}) });
    await waitFor('private Postgres to accept connections', 30_000, async () => {
      const client = new pg.Client({ connectionString: databaseUrl('postgres') });
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }, () => exitedWhileStarting('postgres'));
  }

  function exitedWhileStarting(name: string): string | undefined {
    const entry = managed.get(name);
    return entry && !entry.child ? `${name} exited while starting; see ${logFile(name)}` : undefined;
  }

  async function waitForTcp(name: ProcessName, port: number, timeoutMs: number): Promise<void> {
    const { connect } = await import('node:net');
    await waitFor(`${name} on port ${port}`, timeoutMs, () => new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    }), () => exitedWhileStarting(name));
  }

  async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, failFast?: () => string | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failure = failFast?.();
      if (failure) throw new Error(failure);
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(150);
    }
  }

  // --- the services -------------------------------------------------------------
  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  // `npm run` puts --conditions=@shop/source in NODE_OPTIONS (.npmrc); compiled code must resolve to dist/.
  if (compiled) baseEnv['NODE_OPTIONS'] = (baseEnv['NODE_OPTIONS'] ?? '').replace('--conditions=@shop/source', '').trim();
  for (const name of LAUNCHER_VARIABLES) delete baseEnv[name];
  // STOREFRONT_PORT=off: a development router would otherwise run the storefront's Vite server in its own process.
  Object.assign(baseEnv, { NODE_ENV: compiled ? 'production' : 'development', HOST: '127.0.0.1', LOG_LEVEL: 'info', SEED_DEMO_DATA: 'false', APOLLO_TELEMETRY_DISABLED: 'true', STOREFRONT_PORT: 'off' });

  function serviceEnv(name: ServiceName, replica: number): NodeJS.ProcessEnv {
    // A data folder per process: the launcher locks its DATA_DIR when it sees no DATABASE_URL (the router,
    // the card provider), and two processes on the default .data would refuse each other.
    const env: NodeJS.ProcessEnv = { ...baseEnv, ...options.env, SERVICES: name, DATA_DIR: join(root, 'data', instanceName(name, replica)) };
    const port = String(portOf(name, replica));
    switch (name) {
      case 'payment-provider':
        return { ...env, PAYMENT_PROVIDER_PORT: port, PAYMENT_PROVIDER_DATA_DIR: providerDataDir };
      case 'router':
        return {
          ...env,
          ROUTER_PORT: port,
          JWT_SECRET: jwtSecret,
          // The live order status watches the order events.
          NATS_URL: natsUrl,
          NATS_NAMESPACE: namespace,
          PRODUCTS_URL: `${urls.products}/graphql`,
          ORDERS_URL: `${urls.orders}/graphql`,
          PAYMENTS_URL: `${urls.payments}/graphql`,
          PRODUCTS_SUBGRAPH_SECRET: secrets.products,
          ORDERS_SUBGRAPH_SECRET: secrets.orders,
          PAYMENTS_SUBGRAPH_SECRET: secrets.payments,
        };
      default:
        return {
          ...env,
          DATABASE_URL: databaseUrl('prefix'),
          NATS_URL: natsUrl,
          NATS_NAMESPACE: namespace,
          [`${name.toUpperCase()}_PORT`]: port,
          [`${name.toUpperCase()}_SUBGRAPH_SECRET`]: secrets[name],
          ...(name === 'payments' ? { PAYMENT_PROVIDER_URL: urls['payment-provider'] } : {}),
        };
    }
  }

  function startService(name: ServiceName, replica = 0): void {
    // `node --import tsx`, not the tsx binary or npm: the pid is the service's own, so SIGKILL reaches it.
    // BENCH_NODE_ARGS reaches each service's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile
    // every process under load (Node refuses --cpu-prof in NODE_OPTIONS).
    const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    // --conditions=@shop/source: the workspaces' sources, not a dist/ that a build may have left (or not).
    // BENCH_COMPILED=1 runs the build's JavaScript in production mode instead, as the image does (`npm run build` first).
    // Compiled, each process also gets the node options of its container's command (V8's heap sizing), before BENCH_NODE_ARGS, which can override them.
    const entry = compiled ? [LAUNCHER_COMPILED] : ['--conditions=@shop/source', '--import', 'tsx', LAUNCHER_MAIN];
    const args = [...(containerOptions?.[name] ?? []), ...nodeArgs, ...(options.nodeArgs?.[name] ?? []), ...entry];
    spawnLogged(instanceName(name, replica), process.execPath, args, serviceEnv(name, replica));
  }

  async function waitReady(name: ServiceName, timeoutMs = 90_000, replica = 0): Promise<void> {
    const url = replicaUrls(name)[replica];
    await waitFor(`${instanceName(name, replica)} to be ready (${url}/ready)`, timeoutMs, async () => {
      try {
        const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.ok;
      } catch {
        return false;
      }
    }, () => exitedWhileStarting(instanceName(name, replica)));
  }

  /** Starts every replica of the services at the same moment and waits until all are ready. */
  async function startReplicas(names: readonly ServiceName[]): Promise<void> {
    const started = names.flatMap((name) => Array.from({ length: replicasOf(name) }, (_, replica) => ({ name, replica })));
    for (const { name, replica } of started) startService(name, replica);
    await Promise.all(started.map(({ name, replica }) => waitReady(name, undefined, replica)));
  }

  // --- CPU sampling of the run's Postgres backends --------------------------------
  const admin = () => new pg.Client({ connectionString: databaseUrl('postgres') });
  let sampler: pg.Client | undefined;
  const backendCpu = new Map<string, number>();
  let postmasterPid: number | undefined;
  let samplerTimer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> | undefined;
  let natsPid: number | undefined = options.nats.kind === 'shared' ? await findNatsServer(Number(new URL(options.nats.url).port || 4222)) : undefined;

  async function sampleOnce(): Promise<void> {
    try {
      if (!sampler) {
        const client = admin();
        client.on('error', () => undefined);
        await client.connect();
        sampler = client;
      }
      // The bench's own readers (application_name shop-bench-reader) are not the run's work.
      const { rows } = await sampler.query<{ pid: number }>(
        "select pid from pg_stat_activity where datname like $1 and application_name <> 'shop-bench-reader'",
        [`${databasePrefix}\\_%`],
      );
      for (const { pid } of rows) {
        const stat = await readProcStat(pid);
        if (stat) backendCpu.set(`${pid}:${stat.startTime}`, stat.cpuMs);
        if (postmasterPid === undefined && stat) postmasterPid = stat.ppid;
      }
    } catch {
      // Postgres away (a fault phase) or the connection terminated: reconnect next time.
      await sampler?.end().catch(() => undefined);
      sampler = undefined;
    }
    for (const [name, entry] of managed) {
      if (name === 'postgres') continue;
      const pid = entry.child?.pid;
      if (pid === undefined) continue;
      const stat = await readProcStat(pid);
      if (stat) entry.lastCpuMs = stat.cpuMs;
    }
  }

  function startSampler(): void {
    const tick = () => {
      sampling = sampleOnce().finally(() => {
        if (samplerTimer !== undefined) samplerTimer = setTimeout(tick, 250);
      });
    };
    samplerTimer = setTimeout(tick, 0);
  }

  async function processCpu(name: string): Promise<number> {
    const entry = managed.get(name);
    if (!entry) return 0;
    const pid = entry.child?.pid;
    if (pid !== undefined) {
      const stat = await readProcStat(pid);
      if (stat) entry.lastCpuMs = stat.cpuMs;
    }
    return entry.pastCpuMs + entry.lastCpuMs;
  }

  async function stopProcess(name: string, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const entry = managed.get(name);
    const child = entry?.child;
    if (!entry || !child || child.exitCode !== null || child.signalCode !== null) return;
    entry.expectExit = true;
    // Last CPU reading before it goes.
    const stat = child.pid !== undefined ? await readProcStat(child.pid) : undefined;
    if (stat) entry.lastCpuMs = stat.cpuMs;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  async function dropEverything(): Promise<void> {
    if (options.postgres.kind === 'shared') {
      const client = admin();
      client.on('error', () => undefined);
      try {
        await client.connect();
        for (const subgraph of SUBGRAPH_NAMES) {
          await client.query(`drop database if exists ${pg.escapeIdentifier(`${databasePrefix}_${subgraph}`)} with (force)`);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (options.nats.kind === 'shared') await deleteJetStreamNamespace({ servers: natsUrl, namespace });
  }

  let stopped = false;
  const killOnExit = () => {
    for (const entry of managed.values()) entry.child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  async function stop(stopOptions: { keepLogs?: boolean } = {}): Promise<void> {
    if (stopped) return;
    stopped = true;
    const timer = samplerTimer;
    samplerTimer = undefined;
    clearTimeout(timer);
    await sampling;
    await sampler?.end().catch(() => undefined);
    for (const name of [...SERVICE_NAMES].reverse()) {
      await Promise.all(Array.from({ length: replicasOf(name) }, (_, replica) => stopProcess(instanceName(name, replica), 'SIGTERM', 10_000)));
    }
    await Promise.all([...balancers.values()].map((balancer) => balancer.close()));
    const errors: unknown[] = [];
    await dropEverything().catch((error: unknown) => errors.push(error));
    await stopProcess('nats', 'SIGTERM', 5_000);
    // Fast shutdown: no checkpoint wait.
    await stopProcess('postgres', 'SIGINT', 10_000);
    process.removeListener('exit', killOnExit);
    for (const dir of removeDirs) {
      if (stopOptions.keepLogs && dir === root) {
        await rm(natsStoreDir, { recursive: true, force: true });
        await rm(providerDataDir, { recursive: true, force: true });
        continue;
      }
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleaning up the cluster failed');
  }

  const cluster: Cluster = {
    id,
    databasePrefix,
    namespace,
    logDir,
    routerUrl: `${urls.router}/graphql`,
    routerUrls: replicaUrls('router').map((url) => `${url}/graphql`),
    replicas,
    providerUrl: urls['payment-provider'],
    urls,
    replicaUrls,
    natsUrl,
    natsMonitorUrl: natsMonitorPort !== undefined ? `http://127.0.0.1:${natsMonitorPort}` : undefined,
    databaseUrl: (subgraph) => databaseUrl(subgraph),
    adminDatabaseUrl: databaseUrl('postgres'),
    providerKeepsLedger,
    subgraphSecrets: secrets,
    token: (sub, roles) => signDevelopmentToken(jwtSecret, { sub, roles }),
    pid: (name, replica = 0) => managed.get(instanceName(name, replica))?.child?.pid,
    async kill(name, signal = 'SIGKILL', replica = 0) {
      const instance = instanceName(name, replica);
      const entry = managed.get(instance);
      if (!entry?.child) throw new Error(`${instance} is not running`);
      log(`kill -${signal.replace('SIG', '')} ${instance} (pid ${entry.child.pid})`);
      await stopProcess(instance, signal, 30_000);
    },
    async restart(name, replica = 0) {
      const instance = instanceName(name, replica);
      const entry = managed.get(instance);
      if (entry?.child) throw new Error(`${instance} is still running`);
      log(`restart ${instance}`);
      if (name === 'nats') {
        if (options.nats.kind !== 'private') throw new Error('only a private nats-server can be restarted');
        await startNats();
        natsPid = managed.get('nats')?.child?.pid;
      } else if (name === 'postgres') {
        if (options.postgres.kind !== 'private') throw new Error('only a private Postgres can be restarted');
        await startPostgres();
      } else {
        startService(name, replica);
        await waitReady(name, undefined, replica);
      }
    },
    waitReady,
    async terminateBackends() {
      const client = admin();
      client.on('error', () => undefined);
      await client.connect();
      try {
        const { rows } = await client.query<{ terminated: boolean }>(
          'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname like $1 and pid <> pg_backend_pid()',
          [`${databasePrefix}\\_%`],
        );
        return rows.filter((row) => row.terminated).length;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    unexpectedExits: () => [...exits],
    async cpu() {
      await sampleOnce();
      const services = {} as Record<ServiceName, number>;
      const instances: Record<string, number> = {};
      for (const name of SERVICE_NAMES) {
        services[name] = 0;
        for (let replica = 0; replica < replicasOf(name); replica += 1) {
          const instance = instanceName(name, replica);
          instances[instance] = await processCpu(instance);
          services[name] += instances[instance];
        }
      }
      let postgresBackends = 0;
      for (const ms of backendCpu.values()) postgresBackends += ms;
      const postgresRoot = options.postgres.kind === 'private' ? managed.get('postgres')?.child?.pid : postmasterPid;
      const postgresCluster = postgresRoot !== undefined ? await treeCpuMs(postgresRoot) : undefined;
      let nats: number | undefined;
      if (options.nats.kind === 'private') nats = await processCpu('nats');
      else if (natsPid !== undefined) nats = (await readProcStat(natsPid))?.cpuMs;
      const usage = process.cpuUsage();
      return { at: performance.now(), services, instances, postgresBackends, postgresCluster, nats, driver: (usage.user + usage.system) / 1000, machine: await machineBusyMs() };
    },
    logFile,
    stop,
  };

  try {
    if (options.postgres.kind === 'private') {
      log('starting a private Postgres cluster (initdb)…');
      await initPostgres();
      await startPostgres();
    }
    if (options.nats.kind === 'private') {
      await mkdir(natsStoreDir, { recursive: true });
      await startNats();
      natsPid = managed.get('nats')?.child?.pid;
    }
    const each = replicas > 1 ? ` (${replicas} processes of each subgraph and of the router)` : '';
    log(`starting ${SERVICE_NAMES.join(', ')} as separate processes${each} (databases ${databasePrefix}_*, NATS namespace ${namespace}, logs in ${logDir})…`);
    // Every subgraph process at once, on databases and streams that do not exist yet: each creates and migrates its
    // database and creates its streams and consumers, side by side with its replicas, as a deployment starts them.
    await startReplicas(['payment-provider', ...SUBGRAPH_NAMES]);
    await startReplicas(['router']);
    startSampler();
    log('cluster ready');
    return cluster;
  } catch (error) {
    const logs = await Promise.all([...managed.keys()].map(async (name) => `--- ${name}.log (last lines)\n${await tail(logFile(name), 15)}`));
    await stop({ keepLogs: true }).catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs.join('\n')}`, { cause: error });
  }
}
