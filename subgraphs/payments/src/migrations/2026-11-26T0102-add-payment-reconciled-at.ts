import type { Kysely } from 'kysely';

/** When the provider's record of charges was checked for a payment whose charge may have landed unseen. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('reconciled_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('reconciled_at').execute();
}
