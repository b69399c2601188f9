import { sql, type Kysely } from 'kysely';

/**
 * A payment is committed as an intent before the provider is called: what to
 * charge (the card token) and under which idempotency key, and when it may be
 * attempted next. `next_attempt_at` is also the lease of the attempt in
 * progress: a process that dies mid-call leaves it to be taken over when the
 * lease ends, by whichever replica comes first.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('payments')
    .addColumn('idempotency_key', 'text')
    .addColumn('payment_token', 'text')
    .addColumn('next_attempt_at', sql`timestamptz(3)`)
    .execute();
  // Payments from before this migration were charged under their order id.
  // (A builder, not raw SQL: the subgraph's schema is applied to builder queries only.)
  await (db as Kysely<{ payments: { idempotency_key: string; order_id: string } }>)
    .updateTable('payments')
    .set({ idempotency_key: sql<string>`order_id::text` })
    .execute();
  await db.schema.alterTable('payments').alterColumn('idempotency_key', (col) => col.setNotNull()).execute();
  // The worker's scan: PENDING payments whose next attempt is due.
  await db.schema
    .createIndex('payments_pending_due')
    .on('payments')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'PENDING')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('payments_pending_due').execute();
  await db.schema.alterTable('payments').dropColumn('next_attempt_at').dropColumn('payment_token').dropColumn('idempotency_key').execute();
}
