import { sql, type Kysely } from 'kysely';

/** The orders subgraph's own read model of the catalog, fed by ProductChanged events. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('catalog_products')
    .addColumn('product_id', 'uuid', (col) => col.primaryKey())
    .addColumn('sku', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('price_amount', 'integer', (col) => col.notNull())
    .addColumn('currency', 'char(3)', (col) => col.notNull())
    .addColumn('active', 'boolean', (col) => col.notNull())
    // occurredAt of the event that wrote the row: an older event never overwrites a newer one.
    .addColumn('changed_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('catalog_products').execute();
}
