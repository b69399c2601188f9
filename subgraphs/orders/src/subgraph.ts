import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import { EVENT_CATALOGUE, type EventTransport } from '@shop/events';
import { createOutbox, startMessaging, type Messaging, type MessagingOptions } from '@shop/outbox';
import { createMetricsRegistry } from '@shop/observability';
import { startSubgraphServer, type RunningServer, type ServeOptions } from '@shop/graphql';
import { catalogEventHandlers } from './catalog/catalog.events.js';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { orderSagaHandlers } from './order/order.events.js';
import { createSagaOutcomes } from './order/order.metrics.js';
import { orderResolvers } from './order/order.resolvers.js';
import { startOrderSweeper, type OrderSweeper } from './order/order.sweeper.js';
import type { OrdersDatabase } from './order/order.table.js';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface OrdersSubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
  transport: EventTransport;
  messaging?: Pick<MessagingOptions, 'relay' | 'redelivery' | 'retention' | 'concurrency'>;
  /** An order still PENDING this long after it was placed is cancelled (TIMED_OUT). */
  sagaDeadlineMs: number;
  sweepIntervalMs: number;
}

export interface OrdersSubgraph extends RunningServer {
  readonly database: SubgraphDatabase<OrdersDatabase>;
  readonly messaging: Messaging;
  readonly sweeper: OrderSweeper;
}

/** Opens (and migrates) the orders database, starts its event plumbing and deadline sweeper, and serves the subgraph. */
export async function startOrdersSubgraph({
  databaseHost,
  transport,
  messaging: tuning,
  sagaDeadlineMs,
  sweepIntervalMs,
  ...serve
}: OrdersSubgraphOptions): Promise<OrdersSubgraph> {
  const database = await databaseHost.open<OrdersDatabase>('orders', migrations);
  const { db } = database;
  const metrics = createMetricsRegistry('orders');
  const outcomes = createSagaOutcomes(metrics);
  const messaging = await startMessaging({
    db,
    transport,
    logger: serve.logger,
    metrics,
    ...tuning,
    consumers: (notifyOutbox) => {
      const saga = orderSagaHandlers(createOutbox(db, notifyOutbox), outcomes);
      return [
        // One subject each where a stream carries more than this service uses: every
        // delivery costs a decode and an ack (nats-server 2.9 has one filter per consumer).
        { durable: 'orders-catalog', stream: 'PRODUCTS', filterSubject: EVENT_CATALOGUE.ProductChanged.subject, handlers: catalogEventHandlers(db) },
        { durable: 'orders-from-products', stream: 'PRODUCTS', filterSubject: EVENT_CATALOGUE.StockRejected.subject, handlers: saga },
        { durable: 'orders-from-payments', stream: 'PAYMENTS', filterSubject: 'payments.>', handlers: saga },
      ];
    },
  });
  const outbox = createOutbox(db, messaging.notifyOutbox);
  const sweeper = startOrderSweeper({ outbox, deadlineMs: sagaDeadlineMs, intervalMs: sweepIntervalMs, outcomes, logger: serve.logger });
  const writes = { db, outbox, outcomes };
  const server = await startSubgraphServer({
    name: 'orders',
    typeDefs,
    resolvers: orderResolvers,
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
    sweeper,
    async stop() {
      await server.stop();
      await sweeper.stop();
      await messaging.stop();
    },
  };
}
