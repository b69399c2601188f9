import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabaseHost, type DatabaseConfig, type DatabaseHost } from '../index.js';

const url = process.env['DATABASE_URL'];

/** A migration that would fail or double its row if two processes ran it. */
const migrations: Record<string, Migration> = {
  '2026_01_01_a_create': {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('runs').addColumn('migration', 'text', (col) => col.primaryKey()).execute();
      await sql`insert into runs values ('a')`.execute(db);
    },
  },
  '2026_01_02_b_insert': {
    async up(db: Kysely<unknown>) {
      await sql`insert into runs values ('b')`.execute(db);
    },
  },
};

function hostConfig(prefix: string): DatabaseConfig {
  return url ? { kind: 'postgres', url, databasePrefix: prefix } : { kind: 'embedded', dataDir: undefined };
}

const hosts: DatabaseHost[] = [];
afterEach(async () => {
  // The first host drops the databases once every host let go of them.
  const [first, ...others] = hosts.splice(0);
  await Promise.all(others.map((host) => host.close()));
  await first?.close({ dropDatabases: true });
});

async function startHosts(count: number, prefix = `test_${randomBytes(5).toString('hex')}`): Promise<DatabaseHost[]> {
  const started = await Promise.all(Array.from({ length: count }, () => createDatabaseHost(hostConfig(prefix))));
  hosts.push(...started);
  return started;
}

describe.skipIf(!url)('replicas opening one database at the same moment (Postgres; needs DATABASE_URL)', () => {
  it('all come up when the database, its schema and its migrations are created concurrently, and each migration runs once', async () => {
    const replicas = await startHosts(6);
    // Before, CREATE DATABASE lost the race with 23505 (unique index on pg_database's names), not 42P04, and the start failed.
    const opened = await Promise.allSettled(replicas.map((host) => host.open('race', migrations)));
    expect(opened.filter((result) => result.status === 'rejected')).toEqual([]);
    const [database] = opened.map((result) => (result as PromiseFulfilledResult<Awaited<ReturnType<DatabaseHost['open']>>>).value);
    const { rows } = await sql<{ migration: string }>`select migration from runs order by migration`.execute(database!.db);
    expect(rows.map((row) => row.migration)).toEqual(['a', 'b']);
  });

  it('runAlone: one process at a time across hosts; ifFree gives up while another holds the lock', async () => {
    const [a, b] = await startHosts(2);
    const [first, second] = await Promise.all([a!.open('locks', {}), b!.open('locks', {})]);
    let releaseFirst!: () => void;
    const held = new Promise<void>((resolve) => (releaseFirst = resolve));
    const order: string[] = [];
    const running = first!.runAlone('job', async () => {
      order.push('first started');
      await held;
      order.push('first done');
    });
    await expect.poll(() => order).toEqual(['first started']);
    expect(await second!.runAlone('job', async () => order.push('skipped'), { ifFree: true })).toEqual({ ran: false });
    // Another lock name is independent.
    expect(await second!.runAlone('other job', async () => 'ran')).toEqual({ ran: true, value: 'ran' });
    const waiting = second!.runAlone('job', async () => order.push('second ran'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(order).toEqual(['first started']);
    releaseFirst();
    await Promise.all([running, waiting]);
    expect(order).toEqual(['first started', 'first done', 'second ran']);
  });
});

describe('runAlone in one process (embedded, or Postgres)', () => {
  it('runs work under one lock name one after another, and ifFree skips while it is taken', async () => {
    const [host] = await startHosts(1);
    const database = await host!.open('alone', {});
    let inside = 0;
    let most = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const work = async () => {
      inside += 1;
      most = Math.max(most, inside);
      await gate;
      inside -= 1;
    };
    const first = database.runAlone('job', work);
    await expect.poll(() => inside).toBe(1);
    const second = database.runAlone('job', work);
    expect(await database.runAlone('job', work, { ifFree: true })).toEqual({ ran: false });
    open();
    expect((await Promise.all([first, second])).map((result) => result.ran)).toEqual([true, true]);
    expect(most).toBe(1);
    // A failed run releases the lock.
    await expect(database.runAlone('job', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await database.runAlone('job', async () => 1, { ifFree: true })).toEqual({ ran: true, value: 1 });
  });
});
