import type { Kysely, Transaction } from 'kysely';
import type { OutgoingEvent } from '@shop/events';
import { applyOnce } from './inbox.js';
import { appendToOutbox } from './outbox.js';
import type { OutboxTables } from './tables.js';

/** Announces events from inside a unit of work; they are written when it commits. */
export type Emit = (...events: OutgoingEvent[]) => void;

export type Work<DB, T> = (trx: Transaction<DB>, emit: Emit) => Promise<T>;

/**
 * A service's way to change its data and announce it: the change and its
 * events commit together or not at all, and the relay is woken once they
 * have committed. Nobody has to remember either step.
 */
export interface Outbox<DB> {
  /** Runs `work` in one transaction; the events it emits are written in that transaction, in one statement. */
  transaction<T>(work: Work<DB, T>): Promise<T>;
  /**
   * `transaction` for an event handler: runs once per consumer and event id
   * (recorded in the inbox in the same transaction). False when it already ran.
   */
  applyOnce(consumer: string, eventId: string, work: Work<DB, void>): Promise<boolean>;
}

/** `wake` is the relay's: called after a transaction that emitted events has committed. */
export function createOutbox<DB extends OutboxTables>(db: Kysely<DB>, wake: () => void): Outbox<DB> {
  return {
    async transaction(work) {
      const { value, emitted } = await db.transaction().execute((trx) => withEvents(trx, work));
      if (emitted > 0) wake();
      return value;
    },
    async applyOnce(consumer, eventId, work) {
      let emitted = 0;
      const applied = await applyOnce(db, consumer, eventId, async (trx) => {
        ({ emitted } = await withEvents(trx, work));
      });
      if (emitted > 0) wake();
      return applied;
    },
  };
}

/** Runs `work`, then writes what it emitted to the outbox in the same transaction. */
async function withEvents<DB extends OutboxTables, T>(trx: Transaction<DB>, work: Work<DB, T>): Promise<{ value: T; emitted: number }> {
  const events: OutgoingEvent[] = [];
  const value = await work(trx, (...more) => {
    events.push(...more);
  });
  await appendToOutbox(trx, events);
  return { value, emitted: events.length };
}
