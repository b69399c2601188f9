import type { Kysely } from 'kysely';

/** What a placeOrder request asked for, so a retried idempotency key can be told from a reused one. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').addColumn('request_fingerprint', 'text', (col) => col.notNull().defaultTo('')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('request_fingerprint').execute();
}
