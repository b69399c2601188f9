import type { Kysely } from 'kysely';
import type { Viewer } from '@shop/server';
import { createOrderLoaders, type OrderLoaders } from './order/order.loaders.js';
import type { OrdersDatabase } from './order/order.table.js';

export interface Context {
  viewer: Viewer;
  db: Kysely<OrdersDatabase>;
  loaders: OrderLoaders;
}

export function createContext(db: Kysely<OrdersDatabase>, viewer: Viewer): Context {
  return { viewer, db, loaders: createOrderLoaders(db) };
}
