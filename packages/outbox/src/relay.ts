import { sql, type Kysely } from 'kysely';
import type { EventEnvelope, EventTransport, OutgoingEvent } from '@shop/events';
import { runInBackground, type Logger } from '@shop/observability';
import type { OutboxTables } from './tables.js';

/**
 * How long acknowledged rows wait for others before one statement marks them
 * all published. Under load one mark per event was a statement in three per
 * order; waiting a few milliseconds (well inside the writer's claim) lets one
 * statement cover every row acknowledged meanwhile.
 */
const MARK_COALESCE_MS = 20;

export interface OutboxRelayOptions {
  db: Kysely<OutboxTables>;
  transport: EventTransport;
  logger: Logger;
  /** How often to look for rows when nobody called `wake()`. */
  pollIntervalMs?: number;
  batchSize?: number;
  /**
   * How long claimed rows stay with this relay before another may take them
   * over (default 5 s): a crashed relay's rows come back this fast. Renewed
   * every third of it while the relay still works on them, so a slow broker
   * never costs the claim.
   */
  leaseMs?: number;
  /** Longest wait between attempts while the broker is away. */
  maxBackoffMs?: number;
  /** Told after each batch with how many rows were published and marked (metrics). */
  onPublished?: (rows: number) => void;
}

export interface OutboxRelay {
  /** Look for rows now rather than at the next poll. */
  wake(): void;
  /**
   * Publishes rows this process has just committed (claimed for it when
   * written: see WRITER_CLAIM_MS) without claiming them first, and marks
   * them published; rows whose publish fails are given back to the loop.
   */
  publishCommitted(events: readonly OutgoingEvent[]): void;
  /** Resolves once every row written before the call is published (tests). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Outbox rows this relay holds, and the claim token they carry. */
interface Claim {
  rows: { id: string; subject: string; envelope: unknown }[];
  /**
   * The rows' `claimed_until`, truncated to milliseconds so it survives the
   * trip through a JS Date. Each claim or renewal sets a later one, so a row
   * still carrying it is still ours: another relay can only take a row over
   * once its lease ran out, and then writes a later `claimed_until`.
   */
  token: Date;
  /** Claimed rows neither marked nor released yet. */
  held: Set<string>;
}

/**
 * Publishes outbox rows in order of creation, marking a row published only
 * after the broker acknowledged it. Rows are claimed with a lease taken under
 * `FOR UPDATE SKIP LOCKED`, and the lease is renewed while the relay works on
 * them, so several replicas can relay one outbox without publishing a row
 * twice at once, and a crashed relay's rows are taken over within a lease.
 * A claimed batch is published at once (the broker stores it in order) and
 * its acknowledgements awaited together; the acknowledged rows are then
 * marked in one statement and the others released. The publish itself
 * happens outside any transaction: a slow broker never holds row locks (and
 * on PGlite, never the only connection).
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, transport, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 5_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  if (!Number.isInteger(leaseMs) || leaseMs < 300) throw new Error(`expected leaseMs to be an integer >= 300, got ${leaseMs}`);
  const renewEveryMs = Math.floor(leaseMs / 3);
  /** `claimed_until` for a claim or renewal made now (database clock). */
  const leaseEnd = sql<Date>`date_trunc('milliseconds', now()) + make_interval(secs => ${leaseMs / 1000})`;

  let stopped = false;
  let wakeUp: (() => void) | null = null;
  /** A wake() that came while a batch was in flight: look again at once rather than after the poll interval. */
  let wakeRequested = false;
  let failures = 0;

  function wake() {
    wakeRequested = true;
    wakeUp?.();
  }

  async function sleep(ms: number) {
    if (wakeRequested || stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wakeUp = null;
  }

  /** Claims up to a batch of due rows, oldest first. */
  async function claimBatch(): Promise<Claim | undefined> {
    /* claimOutboxRows */
    const rows = await db
      .updateTable('outbox')
      .set({
        claimed_until: leaseEnd,
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
      .returning(['id', 'subject', 'envelope', 'created_at', 'claimed_until'])
      .execute();
    const token = rows[0]?.claimed_until;
    if (!token) return undefined;
    rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
    return { rows, token, held: new Set(rows.map((row) => row.id)) };
  }

  /**
   * Extends the lease of the rows still held every third of it, until the
   * returned function is called (which waits for a renewal in progress).
   */
  function keepClaim(claim: Claim): () => Promise<void> {
    let renewing: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const schedule = () => {
      timer = setTimeout(() => {
        renewing = renew(claim).finally(() => {
          if (!done) schedule();
        });
      }, renewEveryMs);
    };
    schedule();
    return async () => {
      done = true;
      clearTimeout(timer);
      await renewing;
    };
  }

  async function renew(claim: Claim): Promise<void> {
    const ids = [...claim.held];
    if (ids.length === 0) return;
    try {
      /* renewOutboxClaims */
      const renewed = await db
        .updateTable('outbox')
        .set({ claimed_until: leaseEnd })
        .where('id', 'in', ids)
        .where('claimed_until', '=', claim.token)
        .where('published_at', 'is', null)
        .returning(['id', 'claimed_until'])
        .execute();
      const token = renewed[0]?.claimed_until;
      if (token) claim.token = token;
      if (renewed.length < ids.length) {
        const kept = new Set(renewed.map((row) => row.id));
        const lost = ids.filter((id) => !kept.has(id));
        lost.forEach((id) => claim.held.delete(id));
        // Only after a stall longer than the lease: another relay took them over and may publish them too (Nats-Msg-Id and inboxes make that harmless).
        logger.warn({ rows: lost.length, leaseMs }, 'outbox relay lost its claim on rows it was publishing (lease ran out)');
      }
    } catch (error) {
      logger.warn({ err: error, rows: ids.length }, 'could not renew the outbox claim; retrying at the next renewal');
    }
  }

  /** Publishes one batch; returns how many rows were published. Throws (after marking and releasing) when some publishes failed. */
  async function relayBatch(): Promise<number> {
    const claim = await claimBatch();
    if (!claim) return 0;
    const stopRenewing = keepClaim(claim);
    try {
      // All at once: the broker stores them in call order, and the acks come back together.
      const results = await Promise.allSettled(
        claim.rows.map((row) => {
          const envelope = (typeof row.envelope === 'string' ? JSON.parse(row.envelope) : row.envelope) as EventEnvelope;
          return transport.publish(row.subject, envelope);
        }),
      );
      const acked = claim.rows.filter((_, i) => results[i]?.status === 'fulfilled').map((row) => row.id);
      await stopRenewing();
      if (acked.length > 0) {
        /* markOutboxRowsPublished */
        await db
          .updateTable('outbox')
          .set({ published_at: new Date(), claimed_until: null })
          .where('id', 'in', acked)
          .where('published_at', 'is', null)
          .execute();
        acked.forEach((id) => claim.held.delete(id));
        options.onPublished?.(acked.length);
      }
      const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed.length > 0) {
        throw new Error(`${failed.length} of ${claim.rows.length} outbox rows were not published (${acked.length} were)`, {
          cause: failed[0]?.reason,
        });
      }
      return acked.length;
    } finally {
      await stopRenewing();
      await release(claim);
    }
  }

  /** Gives back at once, rather than when the lease runs out, the rows neither published nor taken over. */
  async function release(claim: Claim): Promise<void> {
    const ids = [...claim.held];
    if (ids.length === 0) return;
    claim.held.clear();
    /* releaseOutboxClaims */
    await db
      .updateTable('outbox')
      .set({ claimed_until: null })
      .where('id', 'in', ids)
      .where('claimed_until', '=', claim.token)
      .where('published_at', 'is', null)
      .execute()
      .catch((error: unknown) => logger.warn({ err: error, rows: ids.length }, 'could not release outbox claims; they return when the lease runs out'));
  }

  /** Committed rows being published, and acknowledged ids waiting for their mark. */
  const directPublishes = new Set<Promise<void>>();
  const toMark = new Set<string>();
  let marking: Promise<void> | undefined;

  function publishCommitted(events: readonly OutgoingEvent[]): void {
    if (stopped || events.length === 0) return;
    // Not part of the request or event that committed them: the relay's statements are its own.
    const publishing = runInBackground(async () => {
      const results = await Promise.allSettled(events.map(({ subject, envelope }) => transport.publish(subject, envelope)));
      const failed = events.filter((_, i) => results[i]?.status === 'rejected').map(({ envelope }) => envelope.id);
      for (const [i, { envelope }] of events.entries()) if (results[i]?.status === 'fulfilled') toMark.add(envelope.id);
      marking ??= markAcknowledged();
      if (failed.length > 0) {
        // Back to the loop at once (rather than when the writer's claim runs out): it retries with backoff.
        /* releaseCommittedOutboxRows */
        await db.updateTable('outbox').set({ claimed_until: null }).where('id', 'in', failed).where('published_at', 'is', null).execute();
        wake();
      }
    }).catch((error: unknown) => logger.warn({ err: error, rows: events.length }, 'could not publish committed outbox rows; the relay loop takes them over'));
    directPublishes.add(publishing);
    void publishing.finally(() => directPublishes.delete(publishing));
  }

  /** Marks acknowledged rows published, as many per statement as have come in meanwhile. */
  async function markAcknowledged(): Promise<void> {
    try {
      await new Promise((resolve) => setTimeout(resolve, MARK_COALESCE_MS));
      while (toMark.size > 0) {
        const ids = [...toMark];
        toMark.clear();
        /* markCommittedOutboxRowsPublished */
        await db.updateTable('outbox').set({ published_at: new Date(), claimed_until: null }).where('id', 'in', ids).where('published_at', 'is', null).execute();
        options.onPublished?.(ids.length);
      }
    } catch (error) {
      // Published but not marked: when the claim runs out the loop publishes them again, which Nats-Msg-Id and the inboxes make harmless.
      toMark.clear();
      logger.warn({ err: error }, 'could not mark published outbox rows');
    } finally {
      marking = undefined;
    }
  }

  const loop = (async () => {
    while (!stopped) {
      wakeRequested = false;
      try {
        const published = await relayBatch();
        if (failures > 0) logger.info({ afterFailures: failures }, 'outbox relay publishing again');
        failures = 0;
        if (published === batchSize) continue; // more may be waiting
      } catch (error) {
        failures += 1;
        // Log the first failure and then every tenth, not one line per retry.
        if (failures === 1 || failures % 10 === 0) logger.warn({ err: error, failures }, 'outbox relay cannot publish; retrying');
        wakeRequested = false; // back off even if woken meanwhile
        await sleep(Math.min(maxBackoffMs, pollIntervalMs * 2 ** Math.min(failures, 10)));
        continue;
      }
      await sleep(pollIntervalMs);
    }
  })();

  return {
    wake,
    publishCommitted,
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
      await Promise.all(directPublishes);
      await marking;
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
