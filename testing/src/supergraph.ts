import { randomBytes } from 'node:crypto';
import { deleteJetStreamNamespace, type EventTransport } from '@shop/events';
import { startSupergraph, type LauncherConfig, type RunningSupergraph } from '@shop/launcher';
import { DEFAULT_RETENTION } from '@shop/outbox';
import { DEFAULT_LIMITS, DEFAULT_SUBGRAPH_RESILIENCE, DEFAULT_PERSISTED_DOCUMENTS_MANIFEST, DEVELOPMENT_JWT_SECRET, signDevelopmentToken, type RouterConfig } from '@shop/router';
import { createClient, type ShopClient } from '@shop/sdk';
import type { Role } from '@shop/graphql';
import { createLogger, type Logger } from '@shop/observability';
import { testDatabaseConfig, testEventsConfig } from './database.js';

export interface TestSupergraph {
  readonly supergraph: RunningSupergraph;
  /** The router's GraphQL endpoint. */
  readonly url: string;
  /** SDK clients: no token, an admin, a customer with this id. */
  readonly anonymous: ShopClient;
  readonly admin: ShopClient;
  customer(id: string): Promise<ShopClient>;
  token(sub: string, roles: Role[], expiresIn?: string): Promise<string>;
  /** SQL statements executed so far while serving requests, per subgraph (background work excluded). */
  sqlStatements(): { products: number; orders: number; payments: number };
  /** The secret the router sends a subgraph (direct calls in tests and bench need it). */
  subgraphSecret(name: 'products' | 'orders' | 'payments'): string;
  /** HTTP requests the router has made to subgraphs so far. */
  subgraphFetches(): number;
  stop(): Promise<void>;
}

/** Fast relays, redeliveries and provider retries, so failure paths finish in test time. */
const FAST_TUNING: NonNullable<LauncherConfig['tuning']> = {
  messaging: { relay: { pollIntervalMs: 50, maxBackoffMs: 500 }, redelivery: { maxDeliver: 5, backoffMs: [50, 100, 200, 400] } },
  paymentWork: { intervalMs: 100, attemptLeaseMs: 12_000, maxRetryDelayMs: 500 },
  paymentProvider: { timeoutMs: 1_500, maxAttempts: 4, initialBackoffMs: 20, maxBackoffMs: 200, breaker: { halfOpenAfterMs: 500, consecutiveFailures: 20 } },
};

export interface TestSupergraphOptions {
  /** Overrides of the launcher configuration (router settings are merged). */
  config?: Partial<Omit<LauncherConfig, 'router' | 'subgraphSecrets'>> & { router?: Partial<RouterConfig> };
  /** Wraps the event transport (to duplicate deliveries, for instance). */
  wrapTransport?: (transport: EventTransport) => EventTransport;
  /** Where the services log (tests that read log lines pass their own). */
  logger?: Logger;
}

/** Starts every service in this process on free ports; `stop()` drops what it created. */
export async function startTestSupergraph(options: TestSupergraphOptions = {}): Promise<TestSupergraph> {
  const { router: routerOverrides, ...overrides } = options.config ?? {};
  const subgraphSecrets = {
    products: randomBytes(18).toString('base64url'),
    orders: randomBytes(18).toString('base64url'),
    payments: randomBytes(18).toString('base64url'),
  };
  const routerConfig: RouterConfig = {
    production: false,
    port: 0,
    host: '127.0.0.1',
    jwt: { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, issuer: undefined, audience: undefined },
    subgraphUrls: {},
    subgraphSecrets,
    introspection: true,
    limits: DEFAULT_LIMITS,
    maxBodyBytes: 1_048_576,
    subgraphResilience: DEFAULT_SUBGRAPH_RESILIENCE,
    persistedDocuments: { only: false, manifestPath: DEFAULT_PERSISTED_DOCUMENTS_MANIFEST },
    ...routerOverrides,
  };
  const config: LauncherConfig = {
    production: false,
    database: testDatabaseConfig(),
    host: '127.0.0.1',
    events: testEventsConfig(),
    ports: { products: 0, orders: 0, payments: 0, paymentProvider: 0 },
    paymentProviderUrl: undefined,
    saga: { deadlineMs: 60_000, sweepIntervalMs: 200 },
    eventRetentionMs: DEFAULT_RETENTION.retainForMs,
    eventConcurrency: 16,
    seedDemoData: false,
    services: new Set(['payment-provider', 'products', 'orders', 'payments', 'router']),
    tuning: FAST_TUNING,
    ...overrides,
    subgraphSecrets,
    router: routerConfig,
  };
  const logger = options.logger ?? createLogger('test', process.env['LOG_LEVEL'] ?? 'warn');
  const supergraph = await startSupergraph(config, logger, options.wrapTransport ? { wrapTransport: options.wrapTransport } : {});
  const { router, products, orders, payments } = supergraph;
  if (!router || !products || !orders || !payments) throw new Error('the test supergraph needs every service');
  const jwt = routerConfig.jwt;
  const token = (sub: string, roles: Role[], expiresIn?: string) => {
    if (jwt.kind !== 'secret') throw new Error('test tokens need a JWT secret');
    return signDevelopmentToken(jwt.secret, { sub, roles, ...(expiresIn ? { expiresIn } : {}) });
  };
  const anonymous = createClient({ url: router.url });
  return {
    supergraph,
    url: router.url,
    anonymous,
    admin: anonymous.withToken(await token('admin', ['admin'])),
    customer: async (id) => anonymous.withToken(await token(id, ['customer'])),
    token,
    sqlStatements: () => ({
      products: products.database.statements.inRequests,
      orders: orders.database.statements.inRequests,
      payments: payments.database.statements.inRequests,
    }),
    subgraphFetches: () => router.fetches.total,
    subgraphSecret: (name) => {
      const secret = config.subgraphSecrets[name];
      if (!secret) throw new Error(`no secret configured for the ${name} subgraph`);
      return secret;
    },
    async stop() {
      await supergraph.stop({ dropDatabases: config.database.kind === 'postgres' });
      if (config.events.kind === 'jetstream' && config.events.namespace) {
        await deleteJetStreamNamespace({ servers: config.events.url, namespace: config.events.namespace });
      }
    },
  };
}
