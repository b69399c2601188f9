import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { rowByUuid } from '@shop/subgraph-kit';
import { findProductsByIds } from './product.repository.js';
import type { ProductRow, ProductsDatabase } from './product.table.js';

export interface ProductLoaders {
  /** Null for an unknown id, or one that is not a UUID (a forged entity reference). */
  productById: DataLoader<string, ProductRow | null>;
}

/** Built per request: a batch is one SQL statement, results in key order. */
export function createProductLoaders(db: Kysely<ProductsDatabase>): ProductLoaders {
  return { productById: rowByUuid((ids) => findProductsByIds(db, ids), (product) => product.id) };
}
