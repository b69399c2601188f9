import type { Kysely, Transaction } from 'kysely';
import type { OutboxTables } from './tables.js';

/**
 * Runs `effect` in one transaction with the record that `consumer` applied
 * event `eventId`. A redelivered or republished event finds its record and
 * changes nothing: returns false. A concurrent duplicate waits on the first
 * one's row lock, then sees it.
 */
export async function applyOnce<DB extends OutboxTables>(
  db: Kysely<DB>,
  consumer: string,
  eventId: string,
  effect: (trx: Transaction<DB>) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inbox = trx as unknown as Transaction<OutboxTables>;
    /* recordInbox */
    const recorded = await inbox
      .insertInto('inbox')
      .values({ consumer, event_id: eventId })
      .onConflict((conflict) => conflict.columns(['consumer', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!recorded) return false;
    await effect(trx);
    return true;
  });
}
