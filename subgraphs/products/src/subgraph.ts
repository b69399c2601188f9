import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import { startSubgraphServer, type RunningServer, type ServeOptions } from '@shop/server';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { productResolvers } from './product/product.resolvers.js';
import type { ProductsDatabase } from './product/product.table.js';
import { seedDemoCatalog } from './seed/demo-catalog.js';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface ProductsSubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
  /** Fill an empty catalog with demo products on start. */
  seedDemoData: boolean;
}

export interface ProductsSubgraph extends RunningServer {
  readonly database: SubgraphDatabase<ProductsDatabase>;
}

/** Opens (and migrates) the products database and serves the subgraph. */
export async function startProductsSubgraph({ databaseHost, seedDemoData, ...serve }: ProductsSubgraphOptions): Promise<ProductsSubgraph> {
  const database = await databaseHost.open<ProductsDatabase>('products', migrations);
  if (seedDemoData) {
    const seeded = await seedDemoCatalog(database.db);
    if (seeded > 0) serve.logger.info({ seeded }, 'seeded the demo catalog');
  }
  const server = await startSubgraphServer({
    name: 'products',
    typeDefs,
    resolvers: productResolvers,
    createContext: (viewer) => createContext(database.db, viewer),
    checkReady: database.ping,
    ...serve,
  });
  return { ...server, database };
}
