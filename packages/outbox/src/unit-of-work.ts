import { sql, type Compilable, type Kysely, type QueryCreator, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { OutgoingEvent } from '@shop/events';
import { applyOnce } from './inbox.js';
import { appendToOutbox, outboxRow, writerClaim } from './outbox.js';
import type { OutboxTables } from './tables.js';

/** Announces events from inside a unit of work; they are written when it commits. */
export type Emit = (...events: OutgoingEvent[]) => void;

export type Work<DB, T> = (trx: Transaction<DB>, emit: Emit) => Promise<T>;

/**
 * A service's way to change its data and announce it: the change and its
 * events commit together or not at all, and the events are handed to the
 * relay once they have committed. Nobody has to remember either step.
 */
export interface Outbox<DB> {
  /** Runs `work` in one transaction; the events it emits are written in that transaction, in one statement. */
  transaction<T>(work: Work<DB, T>): Promise<T>;
  /**
   * `transaction` for an event handler: runs once per consumer and event id
   * (recorded in the inbox in the same transaction). False when it already ran.
   */
  applyOnce(consumer: string, eventId: string, work: Work<DB, void>): Promise<boolean>;
  /**
   * The cheapest unit of work, for a hot path: one statement that makes a
   * change (`change` builds an INSERT or UPDATE ... RETURNING on the database
   * it is given) and, if it returned a row, writes `event` to the outbox.
   * Postgres runs a data-modifying WITH clause exactly once and atomically
   * with its statement, so no transaction (BEGIN and COMMIT: two more round
   * trips) is needed. Resolves with the changed row, or undefined.
   */
  changeAndEmit<Row>(change: (db: Kysely<DB>) => Compilable<Row>, event: OutgoingEvent): Promise<Row | undefined>;
  /**
   * Another one-statement unit of work: `events` are written by a WITH clause
   * that `write` builds its statement on (it may add WITH clauses of its own:
   * an order and its lines, say). Every part of the statement commits
   * together or none does, without a transaction. Resolves with its rows.
   */
  writeWithEvents<Row>(write: (db: QueryCreator<DB>) => { execute(): Promise<Row[]> }, events: readonly OutgoingEvent[]): Promise<Row[]>;
}

/**
 * Told about the events a unit of work committed (the service's relay
 * publishes them at once: see `Messaging.notifyOutbox`).
 */
export type CommittedEvents = (events: readonly OutgoingEvent[]) => void;

export function createOutbox<DB extends OutboxTables>(db: Kysely<DB>, committed: CommittedEvents): Outbox<DB> {
  return {
    async transaction(work) {
      const { value, emitted } = await db.transaction().execute((trx) => withEvents(trx, work));
      if (emitted.length > 0) committed(emitted);
      return value;
    },
    async applyOnce(consumer, eventId, work) {
      let emitted: readonly OutgoingEvent[] = [];
      const applied = await applyOnce(db, consumer, eventId, async (trx) => {
        ({ emitted } = await withEvents(trx, work));
      });
      if (emitted.length > 0) committed(emitted);
      return applied;
    },
    async writeWithEvents(write, events) {
      const outbox = db as unknown as Kysely<OutboxTables>;
      const withEvents = outbox.with('emitted', (qc) =>
        qc.insertInto('outbox').values(events.map((event) => outboxRow(event, { claimForWriter: true }))),
      );
      const rows = await write(withEvents as unknown as QueryCreator<DB>).execute();
      if (events.length > 0) committed(events);
      return rows;
    },
    async changeAndEmit(change, event) {
      type WithChanged = OutboxTables & { changed: Record<string, unknown> };
      const outbox = db as unknown as Kysely<WithChanged>;
      const { id } = event.envelope;
      const query = outbox
        .with('changed', () => change(db) as never)
        .with('emitted', (qc) =>
          qc
            .insertInto('outbox')
            .columns(['id', 'subject', 'envelope', 'claimed_until'])
            .expression((eb) =>
              (eb.selectFrom('changed') as unknown as SelectQueryBuilder<WithChanged, 'changed', object>)
                .select([
                  // Typed here: in a SELECT list a parameter would be text, which the uuid and jsonb columns refuse.
                  sql<string>`cast(${id} as uuid)`.as('id'),
                  eb.val(event.subject).as('subject'),
                  sql<string>`cast(${JSON.stringify(event.envelope)} as jsonb)`.as('envelope'),
                  writerClaim.as('claimed_until'),
                ])
                .limit(1),
            ),
        )
        .selectFrom('changed')
        .selectAll();
      const row = await query.executeTakeFirst();
      if (row) committed([event]);
      return row as never;
    },
  };
}

/** Runs `work`, then writes what it emitted to the outbox in the same transaction. */
async function withEvents<DB extends OutboxTables, T>(trx: Transaction<DB>, work: Work<DB, T>): Promise<{ value: T; emitted: OutgoingEvent[] }> {
  const events: OutgoingEvent[] = [];
  const value = await work(trx, (...more) => {
    events.push(...more);
  });
  await appendToOutbox(trx, events, { claimForWriter: true });
  return { value, emitted: events };
}
