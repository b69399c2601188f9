import { sql, type Kysely } from 'kysely';

/** The provider's charge id (needed to refund), and orders cancelled before or while they were charged. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('charge_id', 'text').execute();
  await db.schema
    .createTable('cancelled_orders')
    .addColumn('order_id', 'uuid', (col) => col.primaryKey())
    .addColumn('cancelled_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cancelled_orders').execute();
  await db.schema.alterTable('payments').dropColumn('charge_id').execute();
}
