import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { databaseConfigFromEnv, type DatabaseConfig } from '@shop/database/config';
import type { PaymentsSubgraphOptions } from '@shop/payments';
import type { ProductsSubgraphOptions } from '@shop/products';
// The router's settings only (@shop/router/config), not the router: a subgraph's process reads its secret with them.
import { routerConfigFromEnv, subgraphSecretsFromEnv, type RouterConfig } from '@shop/router/config';
import { SUBGRAPHS, type SubgraphName } from '@shop/schema';

export const SERVICE_NAMES = ['payment-provider', 'products', 'orders', 'payments', 'router'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
const SUBGRAPH_NAMES: readonly SubgraphName[] = SUBGRAPHS.map(({ name }) => name);

/** Whether a service of SERVICES is one of the subgraphs. */
export function isSubgraph(name: ServiceName): name is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(name);
}

/**
 * In-process events (embedded mode) or NATS JetStream. A namespace prefixes
 * streams and subjects, so several deployments (or test runs) share one server.
 */
export type EventsConfig = { kind: 'in-process' } | { kind: 'jetstream'; url: string; namespace?: string };

export interface LauncherConfig {
  production: boolean;
  database: DatabaseConfig;
  /** NATS JetStream when NATS_URL is set; otherwise an in-process transport (embedded mode). */
  events: EventsConfig;
  host: string;
  ports: { products: number; orders: number; payments: number; paymentProvider: number };
  /** Where payments reaches the card provider; the simulator started here when unset. */
  paymentProviderUrl: string | undefined;
  /**
   * Where the card provider simulator started here journals its ledger
   * (charges, refunds, idempotency keys), so a restart forgets none of them.
   * Unset: memory only, as the test harness runs it.
   */
  paymentProviderDataDir?: string | undefined;
  /** DATA_DIR, which `npm start` locks for itself in embedded mode: two instances on one folder would split its data. */
  dataDir?: string;
  saga: { deadlineMs: number; sweepIntervalMs: number };
  /** How long published outbox rows and inbox records are kept before the hourly retention job deletes them. */
  eventRetentionMs: number;
  /** Deliveries each durable consumer handles at once (one aggregate's in order). */
  eventConcurrency: number;
  /** Fill an empty catalog with demo products. */
  seedDemoData: boolean;
  /** Which services this process runs (all of them by default; one per container in deployment). */
  services: ReadonlySet<ServiceName>;
  /** What each subgraph expects from the router in x-shop-subgraph-secret, and what the router sends. */
  subgraphSecrets: Partial<Record<SubgraphName, string>>;
  /**
   * Where `npm start` serves the storefront's development server beside the
   * router (STOREFRONT_PORT, default 5173; `off` for none). Development only:
   * production serves the storefront's static build from anywhere.
   */
  storefrontPort?: number | undefined;
  /** The router's settings: read only when this process runs the router. */
  router: RouterConfig | undefined;
  /** Relay, redelivery and provider-call tuning; only tests set it. */
  tuning?: {
    messaging?: NonNullable<ProductsSubgraphOptions['messaging']>;
    paymentProvider?: PaymentsSubgraphOptions['paymentProvider'];
    paymentWork?: PaymentsSubgraphOptions['paymentWork'];
  };
}

const port = z.coerce.number().int().min(0).max(65_535);
const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('.data'),
  PRODUCTS_PORT: port.default(4001),
  ORDERS_PORT: port.default(4002),
  PAYMENTS_PORT: port.default(4003),
  PAYMENT_PROVIDER_PORT: port.default(4010),
  PAYMENT_PROVIDER_URL: z.url().optional(),
  // Default <DATA_DIR>/payment-provider; packages/payment-provider/src/main.ts reads it the same way.
  PAYMENT_PROVIDER_DATA_DIR: z.string().trim().min(1).optional(),
  NATS_URL: z.string().trim().optional(),
  NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').optional(),
  SAGA_DEADLINE_MS: z.coerce.number().int().min(100).default(120_000),
  SAGA_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  // The inbox deduplicates redeliveries: keep it longer than any outage a service could come back from.
  EVENT_RETENTION_HOURS: z.coerce.number().positive().default(168),
  // Per consumer; one order's (one aggregate's) events are still handled one after another.
  EVENT_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
  SEED_DEMO_DATA: bool.optional(),
  STOREFRONT_PORT: z.union([z.literal('off'), port]).default(5173),
  SERVICES: z
    .string()
    .default(SERVICE_NAMES.join(','))
    .transform((value) => value.split(',').map((name) => name.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SERVICE_NAMES)).min(1)),
});
export const LAUNCHER_ENV_NAMES = Object.keys(envSchema.shape);

/**
 * Reads the whole process's settings once. When they are wrong, throws one
 * error that lists every problem (this process's settings, the router's,
 * the subgraph secrets, the database's), so a deployment is not refused one
 * setting at a time.
 */
export function launcherConfigFromEnv(env: NodeJS.ProcessEnv): LauncherConfig {
  const problems: string[] = [];
  function read<T>(what: () => T): T | undefined {
    try {
      return what();
    } catch (error) {
      // Each reader says "Invalid … configuration:" itself; the list below says it once.
      problems.push((error instanceof Error ? error.message : String(error)).replace(/^Invalid [a-z ]*configuration:\s*/, ''));
      return undefined;
    }
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) problems.push(z.prettifyError(parsed.error));
  const production = (parsed.success ? parsed.data.NODE_ENV : env['NODE_ENV']) === 'production';
  const services = new Set<ServiceName>(parsed.success ? parsed.data.SERVICES : SERVICE_NAMES);
  // A container running one subgraph needs that subgraph's secret only, not the router's settings.
  const router = services.has('router') ? read(() => routerConfigFromEnv(env)) : undefined;
  const subgraphSecrets = read(() => subgraphSecretsFromEnv(env, production ? SUBGRAPH_NAMES.filter((name) => services.has(name)) : [])) ?? {};
  const database = read(() => databaseConfigFromEnv(env, resolve(parsed.data?.DATA_DIR ?? '.data', 'pglite')));
  if (!parsed.success || !database || problems.length > 0) {
    throw new Error(`Invalid configuration (${problems.length === 1 ? 'one problem' : `${problems.length} problems`}):\n${problems.map((problem) => `- ${problem.replace(/\n/g, '\n  ')}`).join('\n')}`);
  }
  const e = parsed.data;
  // A subgraph started next to the router in this process gets a random secret
  // when none is configured: nothing but this router can call it.
  for (const name of SUBGRAPH_NAMES) {
    if (!subgraphSecrets[name] && services.has(name) && services.has('router')) {
      subgraphSecrets[name] = randomBytes(24).toString('base64url');
    }
  }
  if (router) router.subgraphSecrets = subgraphSecrets;
  const storefrontPort = production || !router || e.STOREFRONT_PORT === 'off' ? undefined : e.STOREFRONT_PORT;
  // The storefront served here may call the router, wherever STOREFRONT_PORT put it (unless CORS_ORIGINS says otherwise).
  if (router && storefrontPort !== undefined && env['CORS_ORIGINS'] === undefined) {
    router.corsOrigins = [...new Set([...(router.corsOrigins ?? []), `http://localhost:${storefrontPort}`, `http://127.0.0.1:${storefrontPort}`])];
  }
  return {
    production,
    database,
    events: e.NATS_URL ? { kind: 'jetstream', url: e.NATS_URL, ...(e.NATS_NAMESPACE ? { namespace: e.NATS_NAMESPACE } : {}) } : { kind: 'in-process' },
    host: e.HOST,
    ports: { products: e.PRODUCTS_PORT, orders: e.ORDERS_PORT, payments: e.PAYMENTS_PORT, paymentProvider: e.PAYMENT_PROVIDER_PORT },
    paymentProviderUrl: e.PAYMENT_PROVIDER_URL,
    dataDir: resolve(e.DATA_DIR),
    paymentProviderDataDir: resolve(e.PAYMENT_PROVIDER_DATA_DIR ?? join(e.DATA_DIR, 'payment-provider')),
    saga: { deadlineMs: e.SAGA_DEADLINE_MS, sweepIntervalMs: e.SAGA_SWEEP_INTERVAL_MS },
    eventRetentionMs: e.EVENT_RETENTION_HOURS * 3_600_000,
    eventConcurrency: e.EVENT_CONCURRENCY,
    seedDemoData: e.SEED_DEMO_DATA ?? !production,
    services,
    subgraphSecrets,
    router,
    storefrontPort,
  };
}
