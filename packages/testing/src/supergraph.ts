import { startSupergraph, type LauncherConfig, type RunningSupergraph } from '@shop/launcher';
import { DEVELOPMENT_JWT_SECRET, signDevelopmentToken, type RouterConfig } from '@shop/router';
import { createClient, type ShopClient } from '@shop/sdk';
import { createLogger, type Role } from '@shop/server';
import { testDatabaseConfig } from './database.js';

export interface TestSupergraph {
  readonly supergraph: RunningSupergraph;
  /** The router's GraphQL endpoint. */
  readonly url: string;
  /** SDK clients: no token, an admin, a customer with this id. */
  readonly anonymous: ShopClient;
  readonly admin: ShopClient;
  customer(id: string): Promise<ShopClient>;
  token(sub: string, roles: Role[], expiresIn?: string): Promise<string>;
  /** SQL statements executed so far, per subgraph. */
  sqlStatements(): { products: number; orders: number; payments: number };
  /** HTTP requests the router has made to subgraphs so far. */
  subgraphFetches(): number;
  stop(): Promise<void>;
}

export interface TestSupergraphOptions {
  /** Overrides of the launcher configuration (router settings are merged). */
  config?: Partial<Omit<LauncherConfig, 'router'>> & { router?: Partial<RouterConfig> };
}

/** Starts every service in this process on free ports; `stop()` drops what it created. */
export async function startTestSupergraph(options: TestSupergraphOptions = {}): Promise<TestSupergraph> {
  const { router: routerOverrides, ...overrides } = options.config ?? {};
  const config: LauncherConfig = {
    production: false,
    database: testDatabaseConfig(),
    host: '127.0.0.1',
    ports: { products: 0, orders: 0, payments: 0 },
    seedDemoData: false,
    services: new Set(['products', 'orders', 'payments', 'router']),
    ...overrides,
    router: {
      production: false,
      port: 0,
      host: '127.0.0.1',
      jwt: { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, issuer: undefined, audience: undefined },
      subgraphUrls: {},
      ...routerOverrides,
    },
  };
  const supergraph = await startSupergraph(config, createLogger('test', process.env['LOG_LEVEL'] ?? 'warn'));
  const { router, products, orders, payments } = supergraph;
  if (!router || !products || !orders || !payments) throw new Error('the test supergraph needs every service');
  const jwt = config.router.jwt;
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
      products: products.database.statements.count,
      orders: orders.database.statements.count,
      payments: payments.database.statements.count,
    }),
    subgraphFetches: () => router.fetches.total,
    stop: () => supergraph.stop({ dropDatabases: config.database.kind === 'postgres' }),
  };
}
