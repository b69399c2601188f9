import type { DatabaseHost } from '@shop/database';
import { connectJetStream, createInProcessTransport, type EventTransport } from '@shop/events';
import type { OrdersSubgraph } from '@shop/orders';
import type { startPaymentProvider } from '@shop/payment-provider';
import type { PaymentsSubgraph } from '@shop/payments';
import type { ProductsSubgraph } from '@shop/products';
import type { RunningRouter } from '@shop/router';
import type { Logger } from '@shop/observability';
import type { SubgraphName } from '@shop/schema';
import { isSubgraph, SERVICE_NAMES, type LauncherConfig, type ServiceName } from './config.js';

type PaymentProvider = Awaited<ReturnType<typeof startPaymentProvider>>;
type RunningSubgraph = ProductsSubgraph | OrdersSubgraph | PaymentsSubgraph;

interface Services {
  'payment-provider': PaymentProvider;
  products: ProductsSubgraph;
  orders: OrdersSubgraph;
  payments: PaymentsSubgraph;
  router: RunningRouter;
}

export interface RunningSupergraph {
  /** Absent when this process runs no subgraph (a router container, say). */
  readonly databaseHost: DatabaseHost | undefined;
  readonly transport: EventTransport;
  readonly paymentProvider: PaymentProvider | undefined;
  readonly products: ProductsSubgraph | undefined;
  readonly orders: OrdersSubgraph | undefined;
  readonly payments: PaymentsSubgraph | undefined;
  readonly router: RunningRouter | undefined;
  /**
   * Stops one subgraph as a crash or a deploy would (its server drains, its
   * consumers stop); the rest keeps running. Tests use it for outages.
   */
  stopSubgraph(name: SubgraphName): Promise<void>;
  /** Starts a subgraph stopped by stopSubgraph again, on the same port. */
  restartSubgraph(name: SubgraphName): Promise<void>;
  /** Stops the servers (draining requests), then the event transport and the databases. */
  stop(options?: { dropDatabases?: boolean }): Promise<void>;
}

/**
 * Starts the services of `config.services` in this process: the payment
 * provider simulator, then the subgraphs (each opens and migrates its
 * database and starts its event consumers), then the router pointed at them.
 */
export async function startSupergraph(
  config: LauncherConfig,
  logger: Logger,
  /** Tests wrap the transport to duplicate or drop deliveries. */
  hooks: { wrapTransport?: (transport: EventTransport) => EventTransport } = {},
): Promise<RunningSupergraph> {
  // Imported only here: a process without a subgraph (the router, the simulator) never loads Kysely or pg.
  const database = [...config.services].some(isSubgraph)
    ? await (await import('@shop/database')).createDatabaseHost(config.database, { logger: logger.child({ component: 'database' }) })
    : undefined;
  const databaseHost = () => {
    if (!database) throw new Error('no database host: this process runs no subgraph');
    return database;
  };
  const connected =
    config.events.kind === 'jetstream'
      ? await connectJetStream({
          servers: config.events.url,
          name: 'shop',
          logger: logger.child({ component: 'jetstream' }),
          ...(config.events.namespace ? { namespace: config.events.namespace } : {}),
        })
      : createInProcessTransport({ logger: logger.child({ component: 'events' }) });
  const transport = hooks.wrapTransport ? hooks.wrapTransport(connected) : connected;
  const running: Partial<Services> = {};
  // Where each subgraph listens once started (ports may be 0 in tests): a restart reuses it.
  const ports = { ...config.ports };
  const serve = (name: SubgraphName) => ({
    secret: config.subgraphSecrets[name],
    port: ports[name],
    host: config.host,
    logger: logger.child({ service: name }),
    development: !config.production,
  });
  const messaging = {
    concurrency: config.eventConcurrency,
    ...config.tuning?.messaging,
    retention: { retainForMs: config.eventRetentionMs },
  };

  // Each service's code is imported when it starts, so a process loads only
  // what SERVICES names: a container running orders never loads the router,
  // the other subgraphs or the simulator (their memory, their start time).
  const starters: { [Name in ServiceName]: () => Promise<Services[Name]> } = {
    'payment-provider': async () =>
      (await import('@shop/payment-provider')).startPaymentProvider({
        port: config.ports.paymentProvider,
        host: config.host,
        dataDir: config.paymentProviderDataDir,
        logger: logger.child({ service: 'payment-provider' }),
      }),
    products: async () => (await import('@shop/products')).startProductsSubgraph({ databaseHost: databaseHost(), transport, messaging, seedDemoData: config.seedDemoData, ...serve('products') }),
    orders: async () =>
      (await import('@shop/orders')).startOrdersSubgraph({
        databaseHost: databaseHost(),
        transport,
        messaging,
        sagaDeadlineMs: config.saga.deadlineMs,
        sweepIntervalMs: config.saga.sweepIntervalMs,
        ...serve('orders'),
      }),
    payments: async () =>
      (await import('@shop/payments')).startPaymentsSubgraph({
        databaseHost: databaseHost(),
        transport,
        messaging,
        paymentProviderUrl: config.paymentProviderUrl ?? running['payment-provider']?.url ?? `http://127.0.0.1:${config.ports.paymentProvider}`,
        paymentProvider: config.tuning?.paymentProvider,
        sagaDeadlineMs: config.saga.deadlineMs,
        ...(config.tuning?.paymentWork ? { paymentWork: config.tuning.paymentWork } : {}),
        ...serve('payments'),
      }),
    // Subgraphs started here are reached where they actually listen.
    router: async () => {
      if (!config.router) throw new Error('the router runs here but its settings were not read');
      const { startRouter } = await import('@shop/router');
      return startRouter(
        {
          ...config.router,
          subgraphSecrets: config.subgraphSecrets,
          subgraphUrls: {
            ...config.router.subgraphUrls,
            ...(running.products ? { products: running.products.url } : {}),
            ...(running.orders ? { orders: running.orders.url } : {}),
            ...(running.payments ? { payments: running.payments.url } : {}),
          },
        },
        logger.child({ service: 'router' }),
        // The live order status follows the order events: NATS, or the in-process ones when orders runs in this
        // process. A router alone without NATS_URL sees no order events, and refuses subscriptions saying so.
        { events: config.events.kind === 'jetstream' || config.services.has('orders') ? transport : undefined },
      );
    },
  };

  async function start<Name extends ServiceName>(name: Name): Promise<void> {
    const service = await starters[name]();
    running[name] = service;
    if (isSubgraph(name)) ports[name] = Number(new URL((service as RunningSubgraph).origin).port);
  }

  async function stopAll(): Promise<void> {
    for (const name of [...SERVICE_NAMES].reverse()) {
      const service = running[name];
      delete running[name];
      await service?.stop();
    }
  }

  try {
    // SERVICE_NAMES lists the services in start order.
    for (const name of SERVICE_NAMES) if (config.services.has(name)) await start(name);
  } catch (error) {
    await stopAll().catch(() => undefined);
    await transport.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    throw error;
  }

  return {
    databaseHost: database,
    transport,
    get paymentProvider() {
      return running['payment-provider'];
    },
    get products() {
      return running.products;
    },
    get orders() {
      return running.orders;
    },
    get payments() {
      return running.payments;
    },
    get router() {
      return running.router;
    },
    async stopSubgraph(name) {
      const service = running[name];
      if (!service) throw new Error(`the ${name} subgraph is not running`);
      delete running[name];
      await service.stop();
    },
    async restartSubgraph(name) {
      if (running[name]) throw new Error(`the ${name} subgraph is already running`);
      if (!config.services.has(name)) throw new Error(`this supergraph does not run the ${name} subgraph`);
      await start(name);
    },
    async stop(options) {
      await stopAll();
      await transport.close();
      await database?.close(options);
    },
  };
}
