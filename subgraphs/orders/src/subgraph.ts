import { EVENT_CATALOGUE } from '@shop/events';
import { startSubgraph, type RunningSubgraph, type SubgraphOptions, type SubgraphWiring } from '@shop/subgraph-kit';
import { catalogEventHandlers } from './catalog/catalog.events.js';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { orderSagaHandlers } from './order/order.events.js';
import { createSagaOutcomes } from './order/order.metrics.js';
import { orderResolvers } from './order/order.resolvers.js';
import { startOrderSweeper, type OrderSweeper } from './order/order.sweeper.js';
import type { OrdersDatabase } from './order/order.table.js';

export interface OrdersSubgraphOptions extends SubgraphOptions {
  /** An order still PENDING this long after it was placed is cancelled (TIMED_OUT). */
  sagaDeadlineMs: number;
  sweepIntervalMs: number;
}

export interface OrdersSubgraph extends RunningSubgraph<OrdersDatabase> {
  readonly sweeper: OrderSweeper;
}

/** The orders subgraph: its catalog read model and saga consumers, and the deadline sweeper. */
export function startOrdersSubgraph({ sagaDeadlineMs, sweepIntervalMs, ...options }: OrdersSubgraphOptions): Promise<OrdersSubgraph> {
  return startSubgraph(
    {
      name: 'orders',
      schema: new URL('./schema.graphql', import.meta.url),
      resolvers: orderResolvers,
      migrations,
      wire: ({ db, outbox, metrics, logger }: SubgraphWiring<OrdersDatabase>) => {
        const writes = { db, outbox, outcomes: createSagaOutcomes(metrics) };
        const saga = orderSagaHandlers(writes);
        return {
          consumers: [
            // One subject each where a stream carries more than this service uses: every
            // delivery costs a decode and an ack (nats-server 2.9 has one filter per consumer).
            { durable: 'orders-catalog', stream: 'PRODUCTS', filterSubject: EVENT_CATALOGUE.ProductChanged.subject, handlers: catalogEventHandlers(db) },
            { durable: 'orders-from-products', stream: 'PRODUCTS', filterSubject: EVENT_CATALOGUE.StockRejected.subject, handlers: saga },
            { durable: 'orders-from-payments', stream: 'PAYMENTS', filterSubject: 'payments.>', handlers: saga },
          ],
          createContext: (viewer) => createContext(writes, viewer),
          async start() {
            const sweeper = startOrderSweeper({ writes, deadlineMs: sagaDeadlineMs, intervalMs: sweepIntervalMs, logger });
            return { exposed: { sweeper }, stop: () => sweeper.stop() };
          },
        };
      },
    },
    options,
  );
}
