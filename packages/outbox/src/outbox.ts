import type { Kysely, Transaction } from 'kysely';
import type { OutgoingEvent } from '@shop/events';
import type { OutboxTables } from './tables.js';

/**
 * Writes events to the outbox inside the caller's transaction, so they exist
 * if and only if the change they announce was committed.
 */
export async function appendToOutbox<DB extends OutboxTables>(
  trx: Transaction<DB>,
  events: readonly OutgoingEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const db = trx as unknown as Kysely<OutboxTables>;
  /* appendToOutbox */
  await db
    .insertInto('outbox')
    .values(events.map(({ subject, envelope }) => ({ id: envelope.id, subject, envelope: JSON.stringify(envelope) })))
    .execute();
}
