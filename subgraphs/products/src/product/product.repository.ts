import type { Kysely } from 'kysely';
import { countRows, newestFirst, type KeysetPage } from '@shop/subgraph-kit';
import type { NewProductRow, ProductPatch, ProductRow, ProductsDatabase } from './product.table.js';

type Db = Kysely<ProductsDatabase>;

export interface ProductListFilter {
  search: string | null;
}

/* findProductsByIds: one statement for a whole DataLoader batch */
export async function findProductsByIds(db: Db, ids: readonly string[]): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('products').selectAll().where('id', 'in', ids).execute();
}

/* listActiveProducts: newest first, keyset pagination on (created_at, id) */
export async function listActiveProducts(db: Db, filter: ProductListFilter, page: KeysetPage): Promise<ProductRow[]> {
  return newestFirst(activeProducts(db, filter).selectAll(), page).execute();
}

/* countActiveProducts */
export async function countActiveProducts(db: Db, filter: ProductListFilter): Promise<number> {
  return countRows(activeProducts(db, filter));
}

function activeProducts(db: Db, filter: ProductListFilter) {
  let query = db.selectFrom('products').where('active', '=', true);
  if (filter.search) {
    const pattern = `%${filter.search.replace(/[\\%_]/g, '\\$&')}%`;
    query = query.where((eb) =>
      eb.or([eb('name', 'ilike', pattern), eb('sku', 'ilike', pattern), eb('description', 'ilike', pattern)]),
    );
  }
  return query;
}

/* countAllProducts: any product at all, archived included */
export async function countAllProducts(db: Db): Promise<number> {
  return countRows(db.selectFrom('products'));
}

/* insertProduct */
export async function insertProduct(db: Db, row: NewProductRow): Promise<ProductRow> {
  return db.insertInto('products').values(row).returningAll().executeTakeFirstOrThrow();
}

/* updateProduct: undefined when no product has this id */
export async function updateProduct(db: Db, id: string, patch: ProductPatch): Promise<ProductRow | undefined> {
  return db.updateTable('products').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

/**
 * restockProduct: adds units to what was received and what is available.
 * Undefined when no product has this id or the total would not fit an Int.
 */
export async function addStock(db: Db, id: string, quantity: number, now: Date): Promise<ProductRow | undefined> {
  return db
    .updateTable('products')
    .set((eb) => ({
      stock_received: eb('stock_received', '+', quantity),
      stock_available: eb('stock_available', '+', quantity),
      updated_at: now,
    }))
    .where('id', '=', id)
    .where('stock_received', '<=', MAX_INT - quantity)
    .returningAll()
    .executeTakeFirst();
}

/** Largest GraphQL Int (and Postgres integer). */
export const MAX_INT = 2_147_483_647;
