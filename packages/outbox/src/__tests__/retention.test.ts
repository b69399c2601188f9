/**
 * Retention on every replica at once: passes that run at the same moment on
 * one database (Postgres with DATABASE_URL, else PGlite) share the rows and
 * delete each once, and keep what must stay.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseHost, type DatabaseHost } from '@shop/database';
import { createLogger } from '@shop/observability';
import { addOutboxAndInboxRetentionIndexesV2, createOutboxAndInboxV1 } from '../migration.js';
import { startRetention } from '../retention.js';
import type { OutboxTables } from '../tables.js';

const DATABASE_URL = process.env['DATABASE_URL'];
const logger = createLogger('outbox-retention-test', 'silent');
const DAY_MS = 86_400_000;

describe('retention passes of several replicas at once', () => {
  let host: DatabaseHost;
  let db: Kysely<OutboxTables>;

  beforeAll(async () => {
    host = await createDatabaseHost(
      DATABASE_URL ? { kind: 'postgres', url: DATABASE_URL, databasePrefix: `test_${randomBytes(5).toString('hex')}` } : { kind: 'embedded', dataDir: undefined },
    );
    db = (await host.open<OutboxTables>('retention', { '0001': createOutboxAndInboxV1, '0002': addOutboxAndInboxRetentionIndexesV2 })).db;
  });
  afterAll(() => host?.close({ dropDatabases: true }));

  it('delete every published outbox row and inbox record past the retention exactly once between them, and nothing else', async () => {
    const old = new Date(Date.now() - 10 * DAY_MS);
    const outboxRow = (publishedAt: Date | null) => ({ id: randomUUID(), subject: 'test.retention', envelope: '{}', created_at: old, published_at: publishedAt });
    const expired = Array.from({ length: 1_250 }, () => outboxRow(old));
    const owed = Array.from({ length: 20 }, () => outboxRow(null)); // never published: still owed to the broker
    const recent = Array.from({ length: 20 }, () => outboxRow(new Date()));
    await db.insertInto('outbox').values([...expired, ...owed, ...recent]).execute();
    const inboxRecord = (processedAt: Date) => ({ consumer: 'test', event_id: randomUUID(), processed_at: processedAt });
    await db.insertInto('inbox').values([...Array.from({ length: 1_250 }, () => inboxRecord(old)), ...Array.from({ length: 20 }, () => inboxRecord(new Date()))]).execute();

    // Small batches, so that the passes overlap batch after batch.
    const replicas = Array.from({ length: 3 }, () => startRetention({ db, retainForMs: 7 * DAY_MS, intervalMs: 3_600_000, batchSize: 100, logger }));
    const counts = await Promise.all(replicas.map((retention) => retention.prune()));
    await Promise.all(replicas.map((retention) => retention.stop()));

    expect(counts.reduce((sum, count) => sum + count.outbox, 0)).toBe(expired.length);
    expect(counts.reduce((sum, count) => sum + count.inbox, 0)).toBe(1_250);
    const left = await db.selectFrom('outbox').select('id').execute();
    expect(left.map((row) => row.id).sort()).toEqual([...owed, ...recent].map((row) => row.id).sort());
    expect(await db.selectFrom('inbox').select(sql<number>`count(*)`.as('count')).executeTakeFirstOrThrow()).toEqual({ count: 20 });
  });
});
