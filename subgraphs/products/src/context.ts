import type { Kysely } from 'kysely';
import type { Viewer } from '@shop/server';
import { createProductLoaders, type ProductLoaders } from './product/product.loaders.js';
import type { ProductsDatabase } from './product/product.table.js';

export interface Context {
  viewer: Viewer;
  db: Kysely<ProductsDatabase>;
  loaders: ProductLoaders;
}

export function createContext(db: Kysely<ProductsDatabase>, viewer: Viewer): Context {
  return { viewer, db, loaders: createProductLoaders(db) };
}
