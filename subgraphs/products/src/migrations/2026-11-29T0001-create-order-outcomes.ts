import { sql, type Kysely } from 'kysely';

/**
 * How each order ended, as announced by OrderConfirmed or OrderCancelled.
 * Events of one order can arrive in any order: an OrderPlaced delivered after
 * its OrderCancelled must find the cancellation here and hold no stock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('order_outcomes')
    .addColumn('order_id', 'uuid', (col) => col.primaryKey())
    .addColumn('outcome', 'text', (col) => col.notNull().check(sql`outcome in ('CONFIRMED', 'CANCELLED')`))
    .addColumn('recorded_at', sql`timestamptz(3)`, (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('order_outcomes').execute();
}
