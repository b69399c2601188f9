import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('products')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('sku', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('price_amount', 'integer', (col) => col.notNull().check(sql`price_amount >= 0`))
    .addColumn('price_currency', 'char(3)', (col) => col.notNull())
    // Stock ledger: received = available + reserved + sold, always.
    .addColumn('stock_received', 'integer', (col) => col.notNull().check(sql`stock_received >= 0`))
    .addColumn('stock_available', 'integer', (col) => col.notNull().check(sql`stock_available >= 0`))
    .addColumn('stock_reserved', 'integer', (col) => col.notNull().defaultTo(0).check(sql`stock_reserved >= 0`))
    .addColumn('stock_sold', 'integer', (col) => col.notNull().defaultTo(0).check(sql`stock_sold >= 0`))
    .addColumn('active', 'boolean', (col) => col.notNull().defaultTo(true))
    // Millisecond precision, so a timestamp survives the round trip through a cursor.
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
  // Serves the "active products, newest first" listing and its keyset cursor.
  await db.schema.createIndex('products_active_newest').on('products').columns(['active', 'created_at desc', 'id desc']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('products').execute();
}
