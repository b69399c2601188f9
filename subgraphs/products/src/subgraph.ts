import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import type { EventTransport } from '@shop/events';
import { createOutbox, startMessaging, type Messaging, type MessagingOptions } from '@shop/outbox';
import { createMetricsRegistry } from '@shop/observability';
import { startSubgraphServer, type RunningServer, type ServeOptions } from '@shop/graphql';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { productResolvers } from './product/product.resolvers.js';
import type { ProductsDatabase } from './product/product.table.js';
import { seedDemoCatalog } from './seed/demo-catalog.js';
import { stockEventHandlers } from './stock/stock.events.js';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ProductsSubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
  transport: EventTransport;
  /** Relay and redelivery tuning (tests make them fast). */
  messaging?: Pick<MessagingOptions, 'relay' | 'redelivery' | 'retention' | 'concurrency'>;
  /** Fill an empty catalog with demo products on start. */
  seedDemoData: boolean;
}

export interface ProductsSubgraph extends RunningServer {
  readonly database: SubgraphDatabase<ProductsDatabase>;
  readonly messaging: Messaging;
}

/** Opens (and migrates) the products database, starts its event plumbing and serves the subgraph. */
export async function startProductsSubgraph({
  databaseHost,
  transport,
  messaging: tuning,
  seedDemoData,
  ...serve
}: ProductsSubgraphOptions): Promise<ProductsSubgraph> {
  const database = await databaseHost.open<ProductsDatabase>('products', migrations);
  const { db } = database;
  const metrics = createMetricsRegistry('products');
  const messaging = await startMessaging({
    db,
    transport,
    logger: serve.logger,
    metrics,
    ...tuning,
    consumers: (notifyOutbox) => [
      { durable: 'products-from-orders', stream: 'ORDERS', filterSubject: 'orders.>', handlers: stockEventHandlers(db, createOutbox(db, notifyOutbox)) },
    ],
  });
  const writes = { db, outbox: createOutbox(db, messaging.notifyOutbox) };
  if (seedDemoData) {
    const seeded = await seedDemoCatalog(writes);
    if (seeded > 0) serve.logger.info({ seeded }, 'seeded the demo catalog');
  }
  const server = await startSubgraphServer({
    name: 'products',
    typeDefs,
    resolvers: productResolvers,
    createContext: (viewer) => createContext(writes, viewer),
    metrics,
    checkReady: async () => {
      await database.ping();
      await messaging.assertHealthy();
    },
    ...serve,
  });
  return {
    ...server,
    database,
    messaging,
    async stop() {
      await server.stop();
      await messaging.stop();
    },
  };
}
