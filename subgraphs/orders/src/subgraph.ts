import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import { startSubgraphServer, type RunningServer, type ServeOptions } from '@shop/server';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { orderResolvers } from './order/order.resolvers.js';
import type { OrdersDatabase } from './order/order.table.js';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface OrdersSubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
}

export interface OrdersSubgraph extends RunningServer {
  readonly database: SubgraphDatabase<OrdersDatabase>;
}

/** Opens (and migrates) the orders database and serves the subgraph. */
export async function startOrdersSubgraph({ databaseHost, ...serve }: OrdersSubgraphOptions): Promise<OrdersSubgraph> {
  const database = await databaseHost.open<OrdersDatabase>('orders', migrations);
  const server = await startSubgraphServer({
    name: 'orders',
    typeDefs,
    resolvers: orderResolvers,
    createContext: (viewer) => createContext(database.db, viewer),
    checkReady: database.ping,
    ...serve,
  });
  return { ...server, database };
}
