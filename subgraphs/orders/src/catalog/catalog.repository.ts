import type { Kysely, Transaction } from 'kysely';
import type { OrdersDatabase } from '../order/order.table.js';
import type { CatalogProductRow } from './catalog.table.js';

/* findCatalogProducts */
export async function findCatalogProducts(db: Kysely<OrdersDatabase>, productIds: readonly string[]): Promise<CatalogProductRow[]> {
  if (productIds.length === 0) return [];
  return db.selectFrom('catalog_products').selectAll().where('product_id', 'in', productIds).execute();
}

/* upsertCatalogProduct: keeps the newest state; an older event arriving late changes nothing */
export async function upsertCatalogProduct(trx: Transaction<OrdersDatabase>, row: CatalogProductRow): Promise<void> {
  await trx
    .insertInto('catalog_products')
    .values(row)
    .onConflict((conflict) =>
      conflict
        .column('product_id')
        .doUpdateSet((eb) => ({
          sku: eb.ref('excluded.sku'),
          name: eb.ref('excluded.name'),
          price_amount: eb.ref('excluded.price_amount'),
          currency: eb.ref('excluded.currency'),
          active: eb.ref('excluded.active'),
          changed_at: eb.ref('excluded.changed_at'),
        }))
        .whereRef('catalog_products.changed_at', '<=', 'excluded.changed_at'),
    )
    .execute();
}
