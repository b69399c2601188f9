import { createDatabaseHost, type DatabaseHost } from '@shop/database';
import { connectJetStream, createInProcessTransport, type EventTransport } from '@shop/events';
import { startOrdersSubgraph, type OrdersSubgraph } from '@shop/orders';
import { startPaymentProvider } from '@shop/payment-provider';
import { startPaymentsSubgraph, type PaymentsSubgraph } from '@shop/payments';
import { startProductsSubgraph, type ProductsSubgraph } from '@shop/products';
import { startRouter, type RunningRouter } from '@shop/router';
import type { Logger } from '@shop/server';
import type { LauncherConfig, ServiceName } from './config.js';

export interface RunningSupergraph {
  readonly databaseHost: DatabaseHost;
  readonly transport: EventTransport;
  readonly paymentProvider: Awaited<ReturnType<typeof startPaymentProvider>> | undefined;
  readonly products: ProductsSubgraph | undefined;
  readonly orders: OrdersSubgraph | undefined;
  readonly payments: PaymentsSubgraph | undefined;
  readonly router: RunningRouter | undefined;
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
  const has = (name: ServiceName) => config.services.has(name);
  const databaseHost = await createDatabaseHost(config.database, { logger: logger.child({ component: 'database' }) });
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
  const started: { stop(): Promise<void> }[] = [];
  const serve = (name: 'products' | 'orders' | 'payments', port: number) => ({
    secret: config.router.subgraphSecrets[name],
    port,
    host: config.host,
    logger: logger.child({ service: name }),
    development: !config.production,
  });
  const messaging = config.tuning?.messaging;
  try {
    const paymentProvider = has('payment-provider')
      ? await startPaymentProvider({ port: config.ports.paymentProvider, host: config.host, logger: logger.child({ service: 'payment-provider' }) })
      : undefined;
    if (paymentProvider) started.push(paymentProvider);
    const products = has('products')
      ? await startProductsSubgraph({ databaseHost, transport, messaging, seedDemoData: config.seedDemoData, ...serve('products', config.ports.products) })
      : undefined;
    if (products) started.push(products);
    const orders = has('orders')
      ? await startOrdersSubgraph({
          databaseHost,
          transport,
          messaging,
          sagaDeadlineMs: config.saga.deadlineMs,
          sweepIntervalMs: config.saga.sweepIntervalMs,
          ...serve('orders', config.ports.orders),
        })
      : undefined;
    if (orders) started.push(orders);
    const paymentProviderUrl = config.paymentProviderUrl ?? paymentProvider?.url ?? `http://127.0.0.1:${config.ports.paymentProvider}`;
    const payments = has('payments')
      ? await startPaymentsSubgraph({
          databaseHost,
          transport,
          messaging,
          paymentProviderUrl,
          paymentProvider: config.tuning?.paymentProvider,
          ...(config.tuning?.reconciliation ? { reconciliation: config.tuning.reconciliation } : {}),
          ...serve('payments', config.ports.payments),
        })
      : undefined;
    if (payments) started.push(payments);

    // Subgraphs started here are reached where they actually listen (ports may be 0 in tests).
    const router = has('router')
      ? await startRouter(
          {
            ...config.router,
            subgraphUrls: {
              ...config.router.subgraphUrls,
              ...(products ? { products: products.url } : {}),
              ...(orders ? { orders: orders.url } : {}),
              ...(payments ? { payments: payments.url } : {}),
            },
          },
          logger.child({ service: 'router' }),
        )
      : undefined;
    if (router) started.push(router);

    return {
      databaseHost,
      transport,
      paymentProvider,
      products,
      orders,
      payments,
      router,
      async stop(options) {
        for (const service of started.reverse()) await service.stop();
        await transport.close();
        await databaseHost.close(options);
      },
    };
  } catch (error) {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
    await transport.close().catch(() => undefined);
    await databaseHost.close().catch(() => undefined);
    throw error;
  }
}
