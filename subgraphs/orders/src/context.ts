import type { Kysely } from 'kysely';
import type { Viewer } from '@shop/graphql';
import { createOrderLoaders, type OrderLoaders } from './order/order.loaders.js';
import type { WriteDeps } from './order/order.service.js';
import type { OrdersDatabase } from './order/order.table.js';

export interface Context {
  viewer: Viewer;
  db: Kysely<OrdersDatabase>;
  writes: WriteDeps;
  loaders: OrderLoaders;
}

export function createContext(writes: WriteDeps, viewer: Viewer): Context {
  return { viewer, db: writes.db, writes, loaders: createOrderLoaders(writes.db) };
}
