/**
 * The outbox relay on a real database (Postgres with DATABASE_URL, else
 * PGlite) and a real transport (JetStream in a namespace of its own with
 * NATS_URL, else in-process).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ColumnNode,
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseHost, type DatabaseHost } from '@shop/database';
import {
  connectJetStream,
  createEvent,
  createInProcessTransport,
  deleteJetStreamNamespace,
  type EventEnvelope,
  type EventTransport,
  type PublishOptions,
} from '@shop/events';
import { waitFor } from '@shop/events/testing';
import { createLogger } from '@shop/observability';
import { addOutboxAndInboxRetentionIndexesV2, createOutboxAndInboxV1 } from '../migration.js';
import { appendToOutbox } from '../outbox.js';
import { createOutbox } from '../unit-of-work.js';
import { countUnpublished, startOutboxRelay, type OutboxRelay } from '../relay.js';
import type { OutboxTables } from '../tables.js';

const DATABASE_URL = process.env['DATABASE_URL'];
const NATS_URL = process.env['NATS_URL'];
const logger = createLogger('outbox-relay-test', 'silent');

/** Records which columns each UPDATE sets, so a test can count the statements that mark rows published. */
class UpdateRecorder implements KyselyPlugin {
  readonly updates: string[][] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (node.kind === 'UpdateQueryNode') {
      this.updates.push((node.updates ?? []).map((update) => (ColumnNode.is(update.column) ? update.column.column.name : '?')));
    }
    return node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
  get marks(): number {
    return this.updates.filter((columns) => columns.includes('published_at')).length;
  }
}

/** A real transport whose publishes can be made to fail or to hang for a while. */
function faulty(inner: EventTransport) {
  /** Event ids in the order publish was called, and in the order the broker acknowledged them. */
  const sent: string[] = [];
  const published: string[] = [];
  const wrapper = {
    failSubject: undefined as string | undefined,
    delayMs: 0,
    sent,
    published,
    transport: {
      kind: inner.kind,
      async publish(subject: string, envelope: EventEnvelope, options?: PublishOptions) {
        sent.push(envelope.id);
        if (subject === wrapper.failSubject) throw new Error(`injected failure on ${subject}`);
        if (wrapper.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, wrapper.delayMs));
        await inner.publish(subject, envelope, options);
        published.push(envelope.id);
      },
      subscribe: (options) => inner.subscribe(options),
      watch: (filterSubject, listener) => inner.watch(filterSubject, listener),
      isHealthy: () => inner.isHealthy(),
      unprocessed: () => inner.unprocessed(),
      close: () => inner.close(),
    } satisfies EventTransport,
  };
  return wrapper;
}

describe(`outbox relay on ${DATABASE_URL ? 'Postgres' : 'PGlite'} and ${NATS_URL ? 'JetStream' : 'the in-process transport'}`, () => {
  let host: DatabaseHost;
  let db: Kysely<OutboxTables>;
  let transport: EventTransport;
  const namespace = `relaytest_${randomBytes(5).toString('hex')}`;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    host = await createDatabaseHost(
      DATABASE_URL ? { kind: 'postgres', url: DATABASE_URL, databasePrefix: `test_${randomBytes(5).toString('hex')}` } : { kind: 'embedded', dataDir: undefined },
    );
    const database = await host.open<OutboxTables>('relay', { '0001': createOutboxAndInboxV1, '0002': addOutboxAndInboxRetentionIndexesV2 });
    db = database.db;
    transport = NATS_URL ? await connectJetStream({ servers: NATS_URL, name: 'outbox-relay-test', namespace }) : createInProcessTransport();
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await db.deleteFrom('outbox').execute();
  });

  afterAll(async () => {
    await transport?.close();
    if (NATS_URL) await deleteJetStreamNamespace({ servers: NATS_URL, namespace });
    await host?.close({ dropDatabases: true });
  });

  function relay(options: Partial<Parameters<typeof startOutboxRelay>[0]> = {}): OutboxRelay {
    const started = startOutboxRelay({ db, transport, logger, pollIntervalMs: 20, ...options });
    relays.push(started);
    return started;
  }

  async function write(count: number, subject = 'ProductChanged'): Promise<string[]> {
    const events = Array.from({ length: count }, () => {
      const productId = randomUUID();
      const event = createEvent('ProductChanged', productId, { productId, sku: 'sku', name: 'name', price: { amount: 100, currency: 'EUR' }, active: true });
      return subject === 'ProductChanged' ? event : { ...event, subject };
    });
    await db.transaction().execute((trx) => appendToOutbox(trx, events));
    return events.map((event) => event.envelope.id);
  }

  /** Ids in the order the relay owes them: oldest first. */
  async function outboxOrder(): Promise<string[]> {
    const rows = await db.selectFrom('outbox').select('id').orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => row.id);
  }

  it('publishes every row once, oldest first, and marks each batch in one statement', async () => {
    const wrapper = faulty(transport);
    const updates = new UpdateRecorder();
    for (let n = 0; n < 5; n++) await write(50);
    const expected = await outboxOrder();
    let counted = 0;
    const r = startOutboxRelay({
      db: db.withPlugin(updates),
      transport: wrapper.transport,
      logger,
      batchSize: 100,
      pollIntervalMs: 20,
      onPublished: (rows) => (counted += rows),
    });
    relays.push(r);
    await r.drain();
    expect(wrapper.sent).toEqual(expected);
    expect([...wrapper.published].sort()).toEqual([...expected].sort());
    expect(counted).toBe(250);
    // 250 rows in batches of 100: three statements mark them, one per batch.
    expect(updates.marks).toBe(3);
    const left = await db.selectFrom('outbox').select(['published_at', 'claimed_until']).where((eb) => eb.or([eb('published_at', 'is', null), eb('claimed_until', 'is not', null)])).execute();
    expect(left).toEqual([]);
  });

  it('when some publishes fail, marks the acknowledged rows, releases the others at once, and publishes them later', async () => {
    const wrapper = faulty(transport);
    wrapper.failSubject = 'products.unlucky';
    const good = await write(6);
    const unlucky = await write(3, 'products.unlucky');
    let counted = 0;
    // A long backoff, so the released rows are seen before a retry claims them again.
    const r = relay({ transport: wrapper.transport, pollIntervalMs: 60_000, maxBackoffMs: 60_000, onPublished: (rows) => (counted += rows) });
    r.wake();
    await waitFor('the good rows', () => counted === good.length);
    const rows = await db.selectFrom('outbox').select(['id', 'published_at', 'claimed_until']).execute();
    const state = Object.fromEntries(rows.map((row) => [row.id, { published: row.published_at !== null, claimed: row.claimed_until !== null }]));
    for (const id of good) expect(state[id]).toEqual({ published: true, claimed: false });
    for (const id of unlucky) expect(state[id]).toEqual({ published: false, claimed: false });

    wrapper.failSubject = undefined;
    r.wake();
    await waitFor('every row', async () => (await countUnpublished(db)) === 0);
    expect(counted).toBe(good.length + unlucky.length);
    expect([...wrapper.published].sort()).toEqual([...good, ...unlucky].sort());
  });

  it('renews the lease of a slow batch, so another relay never publishes its rows meanwhile', async () => {
    const leaseMs = 600;
    const slow = faulty(transport);
    slow.delayMs = leaseMs * 3;
    const ids = await write(3);
    const first = relay({ transport: slow.transport, leaseMs });
    first.wake();
    await waitFor('the first relay to claim the rows', async () => (await db.selectFrom('outbox').select('id').where('claimed_until', 'is not', null).execute()).length === 3);
    const fast = faulty(transport);
    relay({ transport: fast.transport, leaseMs });
    await waitFor('the slow batch', async () => (await countUnpublished(db)) === 0);
    expect(fast.sent).toEqual([]);
    expect(slow.sent.sort()).toEqual(ids.sort());
  });

  it("takes over a crashed relay's rows once its short lease has run out", async () => {
    const ids = await write(2);
    // What a relay that died right after claiming leaves behind (default lease: 5 s).
    await db
      .updateTable('outbox')
      .set({ claimed_until: sql<Date>`now() + interval '5 seconds'`, publish_attempts: 1 })
      .execute();
    const wrapper = faulty(transport);
    relay({ transport: wrapper.transport });
    await waitFor('the abandoned rows', async () => (await countUnpublished(db)) === 0, { timeoutMs: 15_000 });
    expect(wrapper.sent).toEqual(await outboxOrder());
    expect([...wrapper.published].sort()).toEqual([...ids].sort());
  });

  it('publishes what a unit of work committed right away, without claiming it, and marks it; a failed one is left to the loop', async () => {
    const wrapper = faulty(transport);
    const updates = new UpdateRecorder();
    // The loop would look again only in an hour: whatever gets published came the direct way.
    const direct = relay({ transport: wrapper.transport, db: db.withPlugin(updates), pollIntervalMs: 3_600_000 });
    const outbox = createOutbox(db, (events) => direct.publishCommitted(events));
    // The loop's one look at start (a claim that finds nothing), then it sleeps.
    await waitFor("the relay's first pass", async () => updates.updates.length > 0);
    updates.updates.length = 0;
    const event = () => {
      const productId = randomUUID();
      return createEvent('ProductChanged', productId, { productId, sku: 'sku', name: 'name', price: { amount: 100, currency: 'EUR' }, active: true });
    };
    const [first, second] = [event(), event()];
    await outbox.transaction(async (_trx, emit) => emit(first, second));
    await waitFor('the committed rows to be marked', async () => (await countUnpublished(db)) === 0);
    expect(wrapper.published.sort()).toEqual([first.envelope.id, second.envelope.id].sort());
    // Marked, and never claimed: the only UPDATEs set published_at.
    expect(updates.updates.every((columns) => columns.includes('published_at'))).toBe(true);

    // A publish that fails is given back at once, and the loop (woken) publishes it.
    wrapper.failSubject = 'products.product-changed';
    const third = event();
    await outbox.transaction(async (_trx, emit) => emit(third));
    await waitFor('the failed row to be released', async () => (await db.selectFrom('outbox').select('claimed_until').where('id', '=', third.envelope.id).executeTakeFirstOrThrow()).claimed_until === null);
    wrapper.failSubject = undefined;
    direct.wake();
    await waitFor('the loop to publish it', async () => (await countUnpublished(db)) === 0);
    expect(wrapper.published).toContain(third.envelope.id);
  });
});
