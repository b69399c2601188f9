import { sql, type Kysely } from 'kysely';
import type { EventTransport } from '@shop/events';
import type { Logger } from '@shop/server';
import type { OutboxTables } from './tables.js';

export interface OutboxRelayOptions {
  db: Kysely<OutboxTables>;
  transport: EventTransport;
  logger: Logger;
  /** How often to look for rows when nobody called `wake()`. */
  pollIntervalMs?: number;
  batchSize?: number;
  /** How long a claimed row stays with this relay before another may take it over. */
  leaseMs?: number;
  /** Longest wait between attempts while the broker is away. */
  maxBackoffMs?: number;
  /** Told after each row is published and marked (metrics). */
  onPublished?: () => void;
}

export interface OutboxRelay {
  /** Publish soon: called after a transaction that wrote to the outbox commits. */
  wake(): void;
  /** Resolves once every row written before the call is published (tests). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Publishes outbox rows in order of creation, marking a row published only
 * after the broker acknowledged it. Rows are claimed with a lease taken under
 * `FOR UPDATE SKIP LOCKED`, so several replicas can relay one outbox without
 * publishing a row twice at once, and a crashed relay's rows are taken over
 * when its lease expires. The publish itself happens outside any transaction:
 * a slow broker never holds row locks (and on PGlite, never the only connection).
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, transport, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 30_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;

  let stopped = false;
  let wakeUp: (() => void) | null = null;
  let failures = 0;

  function wake() {
    wakeUp?.();
  }

  async function sleep(ms: number) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wakeUp = null;
  }

  /** Claims up to a batch of due rows; returns them oldest first. */
  async function claimBatch() {
    /* claimOutboxRows */
    const rows = await db
      .updateTable('outbox')
      .set({
        claimed_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
        publish_attempts: sql<number>`publish_attempts + 1`,
      })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbox')
          .select('id')
          .where('published_at', 'is', null)
          .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', sql<Date>`now()`)]))
          .orderBy('created_at')
          .orderBy('id')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['id', 'subject', 'envelope', 'created_at'])
      .execute();
    return rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
  }

  /** Publishes one batch; returns how many rows were published. */
  async function relayBatch(): Promise<number> {
    const rows = await claimBatch();
    let published = 0;
    try {
      for (const row of rows) {
        const envelope = typeof row.envelope === 'string' ? JSON.parse(row.envelope) : row.envelope;
        await transport.publish(row.subject, envelope);
        /* markOutboxRowPublished */
        await db.updateTable('outbox').set({ published_at: new Date(), claimed_until: null }).where('id', '=', row.id).execute();
        published += 1;
        options.onPublished?.();
      }
    } finally {
      const unpublished = rows.slice(published).map((row) => row.id);
      if (unpublished.length > 0) {
        // Give the rest back at once rather than when the lease runs out.
        /* releaseOutboxClaims */
        await db.updateTable('outbox').set({ claimed_until: null }).where('id', 'in', unpublished).execute().catch(() => undefined);
      }
    }
    return published;
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        const published = await relayBatch();
        if (failures > 0) logger.info({ afterFailures: failures }, 'outbox relay publishing again');
        failures = 0;
        if (published === batchSize) continue; // more may be waiting
      } catch (error) {
        failures += 1;
        // Log the first failure and then every tenth, not one line per retry.
        if (failures === 1 || failures % 10 === 0) logger.warn({ err: error, failures }, 'outbox relay cannot publish; retrying');
        await sleep(Math.min(maxBackoffMs, pollIntervalMs * 2 ** Math.min(failures, 10)));
        continue;
      }
      await sleep(pollIntervalMs);
    }
  })();

  return {
    wake,
    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const count = await countUnpublished(db);
        if (count === 0) return;
        if (Date.now() > deadline) throw new Error(`outbox still has ${count} unpublished rows after ${timeoutMs} ms`);
        wake();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      stopped = true;
      wake();
      await loop;
    },
  };
}

/** Rows written but not yet acknowledged by the broker: the outbox backlog. */
export async function countUnpublished(db: Kysely<OutboxTables>): Promise<number> {
  /* countUnpublishedOutboxRows */
  const { count } = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('published_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(count);
}
