import { createDatabaseHost, type DatabaseHost } from '@shop/database';
import { startOrdersSubgraph, type OrdersSubgraph } from '@shop/orders';
import { startPaymentsSubgraph, type PaymentsSubgraph } from '@shop/payments';
import { startProductsSubgraph, type ProductsSubgraph } from '@shop/products';
import { startRouter, type RunningRouter } from '@shop/router';
import type { Logger } from '@shop/server';
import type { LauncherConfig } from './config.js';

export interface RunningSupergraph {
  readonly databaseHost: DatabaseHost;
  readonly products: ProductsSubgraph | undefined;
  readonly orders: OrdersSubgraph | undefined;
  readonly payments: PaymentsSubgraph | undefined;
  readonly router: RunningRouter | undefined;
  /** Stops the servers (draining requests), then closes the databases. */
  stop(options?: { dropDatabases?: boolean }): Promise<void>;
}

/**
 * Starts the services of `config.services` in this process: subgraphs first
 * (each opens and migrates its database), then the router pointed at them.
 */
export async function startSupergraph(config: LauncherConfig, logger: Logger): Promise<RunningSupergraph> {
  const databaseHost = await createDatabaseHost(config.database);
  const started: { stop(): Promise<void> }[] = [];
  const serve = (name: string, port: number) => ({
    port,
    host: config.host,
    logger: logger.child({ service: name }),
    development: !config.production,
  });
  try {
    const has = (name: Parameters<typeof config.services.has>[0]) => config.services.has(name);
    const products = has('products')
      ? await startProductsSubgraph({ databaseHost, seedDemoData: config.seedDemoData, ...serve('products', config.ports.products) })
      : undefined;
    if (products) started.push(products);
    const orders = has('orders') ? await startOrdersSubgraph({ databaseHost, ...serve('orders', config.ports.orders) }) : undefined;
    if (orders) started.push(orders);
    const payments = has('payments') ? await startPaymentsSubgraph({ databaseHost, ...serve('payments', config.ports.payments) }) : undefined;
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
      products,
      orders,
      payments,
      router,
      async stop(options) {
        for (const service of started.reverse()) await service.stop();
        await databaseHost.close(options);
      },
    };
  } catch (error) {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
    await databaseHost.close().catch(() => undefined);
    throw error;
  }
}
