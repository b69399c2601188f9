import { sql, type Kysely } from 'kysely';

// Schema builder, not raw SQL: on PGlite the subgraph's schema is added by Kysely's withSchema plugin.
const CONSTRAINT = 'stock_reservations_status_check';

/**
 * An order whose stock could not be reserved keeps its lines on record as
 * REJECTED (no unit moved): once its OrderPlaced was handled an order's lines
 * are always on record, and their key makes a redelivered OrderPlaced a no-op
 * without an inbox record.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stock_reservations').dropConstraint(CONSTRAINT).execute();
  await db.schema.alterTable('stock_reservations').addCheckConstraint(CONSTRAINT, sql`status in ('RESERVED', 'SOLD', 'RELEASED', 'REJECTED')`).execute();
}

export async function down(db: Kysely<{ stock_reservations: { status: string } }>): Promise<void> {
  await db.deleteFrom('stock_reservations').where('status', '=', 'REJECTED').execute();
  await db.schema.alterTable('stock_reservations').dropConstraint(CONSTRAINT).execute();
  await db.schema.alterTable('stock_reservations').addCheckConstraint(CONSTRAINT, sql`status in ('RESERVED', 'SOLD', 'RELEASED')`).execute();
}
