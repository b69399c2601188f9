import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import { startSubgraphServer, type RunningServer, type ServeOptions } from '@shop/server';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { paymentResolvers } from './payment/payment.resolvers.js';
import type { PaymentsDatabase } from './payment/payment.table.js';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface PaymentsSubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
}

export interface PaymentsSubgraph extends RunningServer {
  readonly database: SubgraphDatabase<PaymentsDatabase>;
}

/** Opens (and migrates) the payments database and serves the subgraph. */
export async function startPaymentsSubgraph({ databaseHost, ...serve }: PaymentsSubgraphOptions): Promise<PaymentsSubgraph> {
  const database = await databaseHost.open<PaymentsDatabase>('payments', migrations);
  const server = await startSubgraphServer({
    name: 'payments',
    typeDefs,
    resolvers: paymentResolvers,
    createContext: (viewer) => createContext(database.db, viewer),
    checkReady: database.ping,
    ...serve,
  });
  return { ...server, database };
}
