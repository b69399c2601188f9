import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { isUuid } from '@shop/graphql';
import { findProductsByIds } from './product.repository.js';
import type { ProductRow, ProductsDatabase } from './product.table.js';

export interface ProductLoaders {
  /** Null for an unknown id, or one that is not a UUID (a forged entity reference). */
  productById: DataLoader<string, ProductRow | null>;
}

/** Built per request: a batch is one SQL statement, results in key order. */
export function createProductLoaders(db: Kysely<ProductsDatabase>): ProductLoaders {
  return {
    productById: new DataLoader(async (ids) => {
      const rows = await findProductsByIds(db, ids.filter(isUuid));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
  };
}
