import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('orders')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('PENDING', 'CONFIRMED', 'CANCELLED')`))
    .addColumn('cancellation_reason', 'text', (col) =>
      col.check(sql`cancellation_reason in ('OUT_OF_STOCK', 'PAYMENT_DECLINED', 'CUSTOMER_CANCELLED', 'TIMED_OUT')`),
    )
    .addColumn('total_amount', 'integer', (col) => col.notNull().check(sql`total_amount >= 0`))
    .addColumn('currency', 'char(3)', (col) => col.notNull())
    .addColumn('idempotency_key', 'text', (col) => col.notNull())
    // Millisecond precision, so a timestamp survives the round trip through a cursor.
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull())
    .addUniqueConstraint('orders_customer_idempotency_key', ['customer_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('orders_customer_newest').on('orders').columns(['customer_id', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('orders_newest').on('orders').columns(['created_at desc', 'id desc']).execute();

  await db.schema
    .createTable('order_items')
    .addColumn('order_id', 'uuid', (col) => col.notNull().references('orders.id').onDelete('cascade'))
    .addColumn('line_number', 'integer', (col) => col.notNull())
    .addColumn('product_id', 'uuid', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull().check(sql`quantity > 0`))
    .addColumn('unit_price_amount', 'integer', (col) => col.notNull().check(sql`unit_price_amount >= 0`))
    .addColumn('currency', 'char(3)', (col) => col.notNull())
    .addPrimaryKeyConstraint('order_items_pkey', ['order_id', 'line_number'])
    .addUniqueConstraint('order_items_one_line_per_product', ['order_id', 'product_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('order_items').execute();
  await db.schema.dropTable('orders').execute();
}
