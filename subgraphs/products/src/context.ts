import type { Kysely } from 'kysely';
import type { Viewer } from '@shop/graphql';
import { createProductLoaders, type ProductLoaders } from './product/product.loaders.js';
import type { WriteDeps } from './product/product.service.js';
import type { ProductsDatabase } from './product/product.table.js';

export interface Context {
  viewer: Viewer;
  db: Kysely<ProductsDatabase>;
  writes: WriteDeps;
  loaders: ProductLoaders;
}

export function createContext(writes: WriteDeps, viewer: Viewer): Context {
  return { viewer, db: writes.db, writes, loaders: createProductLoaders(writes.db) };
}
