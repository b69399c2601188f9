import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseHost, type DatabaseHost, type SubgraphDatabase } from '../index.js';

const url = process.env['DATABASE_URL'];

/**
 * A connection dropped under a running query (pg_terminate_backend, a
 * Postgres restart) must fail that query only. Before, pg emitted 'error' on
 * the checked-out client with no listener, and the process exited.
 */
/** The server's `postgres` database: the URL's own database may not exist (it is only a prefix). */
function maintenanceUrl(): string {
  const maintenance = new URL(url!);
  maintenance.pathname = '/postgres';
  return maintenance.toString();
}

describe.skipIf(!url)('Postgres connection lost under a running query (needs DATABASE_URL)', () => {
  let host: DatabaseHost;
  let database: SubgraphDatabase<unknown>;
  const warnings: string[] = [];
  const prefix = `test_${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    host = await createDatabaseHost(
      { kind: 'postgres', url: url!, databasePrefix: prefix },
      { logger: { warn: (_details, message) => warnings.push(message) } },
    );
    database = await host.open('conn', {});
  });
  afterAll(async () => host?.close({ dropDatabases: true }));

  async function terminateBackends(): Promise<number> {
    const admin = new pg.Client({ connectionString: maintenanceUrl() });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [`${prefix}_conn`]);
      return rowCount ?? 0;
    } finally {
      await admin.end();
    }
  }

  it('fails the query in flight and inside a transaction, keeps the process, and serves the next query', async () => {
    // Settled into values at once: they reject while the poll below still runs.
    const sleeping = settled(sql`select pg_sleep(30)`.execute(database.db));
    const inTransaction = settled(
      database.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await sql`select pg_sleep(30)`.execute(trx);
      }),
    );
    // Both statements must be running before their backends are terminated.
    await expect.poll(terminateBackendsWhenBusy, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await sleeping).toMatchObject({ failed: true });
    expect(await inTransaction).toMatchObject({ failed: true });
    // The process is still here (an unhandled 'error' event would have ended this worker) and the pool recovers.
    // An idle pooled connection terminated with the others may fail one query before the pool has heard of its
    // loss (a failure like any other, retried by callers); the pool must then serve queries again.
    await expect
      .poll(async () => (await sql<{ ok: number }>`select 1 as ok`.execute(database.db).catch(() => ({ rows: [] }))).rows, { timeout: 5_000 })
      .toEqual([{ ok: 1 }]);
    expect(warnings).toContain('database connection lost');
  });

  function settled(promise: Promise<unknown>): Promise<{ failed: boolean }> {
    return promise.then(
      () => ({ failed: false }),
      () => ({ failed: true }),
    );
  }

  async function terminateBackendsWhenBusy(): Promise<number> {
    const admin = new pg.Client({ connectionString: maintenanceUrl() });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ count: string }>(
        "select count(*) from pg_stat_activity where datname = $1 and query like '%pg_sleep%' and state = 'active'",
        [`${prefix}_conn`],
      );
      if (Number(rows[0]!.count) < 2) return 0;
    } finally {
      await admin.end();
    }
    return terminateBackends();
  }
});
