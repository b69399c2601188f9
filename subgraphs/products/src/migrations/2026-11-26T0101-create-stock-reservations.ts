import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stock_reservations')
    .addColumn('order_id', 'uuid', (col) => col.notNull())
    .addColumn('product_id', 'uuid', (col) => col.notNull().references('products.id'))
    .addColumn('quantity', 'integer', (col) => col.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('RESERVED', 'SOLD', 'RELEASED')`))
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addPrimaryKeyConstraint('stock_reservations_pkey', ['order_id', 'product_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('stock_reservations').execute();
}
