import type { Kysely } from 'kysely';
import type { Logger } from '@shop/observability';
import { runPeriodically } from '@shop/runtime';
import type { OutboxTables } from './tables.js';

export interface RetentionOptions {
  db: Kysely<OutboxTables>;
  /**
   * How long published outbox rows and inbox records are kept. The inbox
   * deduplicates redeliveries, so this must outlast the longest time a
   * duplicate can still arrive: a relay that crashed between publishing and
   * marking a row republishes it when its service comes back, however long
   * that takes (JetStream's own deduplication covers 2 minutes only).
   */
  retainForMs: number;
  /** How often to prune. */
  intervalMs: number;
  /** Rows deleted per statement, so a pass never holds many locks at once. */
  batchSize?: number;
  logger: Logger;
}

export interface Retention {
  /** Deletes what is older than `now - retainForMs`; resolves with the counts. */
  prune(now?: Date): Promise<{ outbox: number; inbox: number }>;
  stop(): Promise<void>;
}

/**
 * Keeps the outbox and inbox from growing forever. Only published outbox rows
 * are deleted: an unpublished one is an event still owed to the broker.
 * Safe to run on every replica at once: each batch locks the rows it deletes
 * and skips those another replica's batch holds (SKIP LOCKED), so replicas
 * share a pass and never wait on, or deadlock with, each other.
 */
export function startRetention(options: RetentionOptions): Retention {
  const { db, retainForMs, logger } = options;
  const batchSize = options.batchSize ?? 1_000;

  async function pruneOutbox(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      /* pruneOutbox */
      const result = await db
        .deleteFrom('outbox')
        .where('id', 'in', (eb) => eb.selectFrom('outbox').select('id').where('published_at', '<', cutoff).limit(batchSize).forUpdate().skipLocked())
        .executeTakeFirst();
      const count = Number(result.numDeletedRows);
      deleted += count;
      if (count < batchSize) return deleted;
    }
  }

  async function pruneInbox(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      /* pruneInbox */
      const result = await db
        .deleteFrom('inbox')
        .where((eb) =>
          eb(eb.refTuple('consumer', 'event_id'), 'in', eb.selectFrom('inbox').select(['consumer', 'event_id']).where('processed_at', '<', cutoff).limit(batchSize).forUpdate().skipLocked().$asTuple('consumer', 'event_id')),
        )
        .executeTakeFirst();
      const count = Number(result.numDeletedRows);
      deleted += count;
      if (count < batchSize) return deleted;
    }
  }

  async function prune(now = new Date()): Promise<{ outbox: number; inbox: number }> {
    const cutoff = new Date(now.getTime() - retainForMs);
    const counts = { outbox: await pruneOutbox(cutoff), inbox: await pruneInbox(cutoff) };
    if (counts.outbox + counts.inbox > 0) logger.info({ ...counts, before: cutoff.toISOString() }, 'pruned published outbox rows and inbox records');
    return counts;
  }

  const periodic = runPeriodically(() => prune(), { intervalMs: options.intervalMs, logger, name: 'outbox/inbox retention pass' });
  return { prune, stop: () => periodic.stop() };
}
