import type { ColumnType } from 'kysely';
import type { EventEnvelope } from '@shop/events';

/** Events written in the same transaction as the change they announce. */
export interface OutboxTable {
  id: string;
  subject: string;
  envelope: ColumnType<EventEnvelope, string, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  published_at: Date | null;
  /** A relay holds the row until then; an expired claim is taken over by another relay. */
  claimed_until: Date | null;
  publish_attempts: ColumnType<number, number | undefined, number>;
}

/** Ids of events a consumer has applied, written in the same transaction as the effect. */
export interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: ColumnType<Date, Date | undefined, never>;
}

export interface OutboxTables {
  outbox: OutboxTable;
  inbox: InboxTable;
}
