import { sql, type Kysely, type Transaction } from 'kysely';
import type { OutgoingEvent } from '@shop/events';
import type { OutboxTables } from './tables.js';

/**
 * How long a row stays with the process that wrote it: its relay publishes
 * the row right after the commit (no claim statement). Should that process
 * die first, any relay takes the row over once this has passed.
 */
export const WRITER_CLAIM_MS = 5_000;

/** `claimed_until` of a row just written: claimed by its writer (database clock). */
export const writerClaim = sql<Date>`now() + make_interval(secs => ${WRITER_CLAIM_MS / 1000})`;

/** The outbox row of an event, claimed for its writer's relay or not. */
export function outboxRow({ subject, envelope }: OutgoingEvent, options: { claimForWriter?: boolean } = {}) {
  return { id: envelope.id, subject, envelope: JSON.stringify(envelope), claimed_until: options.claimForWriter ? writerClaim : null };
}

/**
 * Writes events to the outbox inside the caller's transaction, so they exist
 * if and only if the change they announce was committed. With `claimForWriter`
 * (what createOutbox does) the rows are claimed for the writing process's
 * relay, which publishes them after the commit (see WRITER_CLAIM_MS);
 * without, any relay's next pass takes them.
 */
export async function appendToOutbox<DB extends OutboxTables>(
  trx: Transaction<DB>,
  events: readonly OutgoingEvent[],
  options: { claimForWriter?: boolean } = {},
): Promise<void> {
  if (events.length === 0) return;
  const db = trx as unknown as Kysely<OutboxTables>;
  /* appendToOutbox */
  await db
    .insertInto('outbox')
    .values(events.map((event) => outboxRow(event, options)))
    .execute();
}
