import { mkdir } from 'node:fs/promises';
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { postgresDatabaseName, type DatabaseConfig } from './config.js';
import { isUniqueViolation } from './errors.js';
import { StatementCounter } from './statement-counter.js';

/** One subgraph's view of its database: queries are scoped to its own schema. */
export interface SubgraphDatabase<DB> {
  readonly name: string;
  readonly db: Kysely<DB>;
  /** Statements executed through `db` since it was opened. */
  readonly statements: StatementCounter;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Runs `work` while no other process of this subgraph runs work under the
   * same `lock` (replicas share one database): it waits for the lock, or with
   * `ifFree` gives up at once and resolves `{ ran: false }`. On Postgres the
   * lock is a session advisory lock on a connection held for the duration, so
   * a process that dies releases it with its connection.
   */
  runAlone<T>(lock: string, work: () => Promise<T>, options?: { ifFree?: boolean }): Promise<{ ran: true; value: T } | { ran: false }>;
}

/**
 * Owns the connections for every subgraph of this process. Embedded mode
 * shares one PGlite (and one Kysely driver, so transactions of different
 * subgraphs never interleave on its single connection); Postgres mode opens
 * one pool per subgraph database.
 */
export interface DatabaseHost {
  readonly config: DatabaseConfig;
  /** Opens (creating and migrating if needed) the database of one subgraph. */
  open<DB>(name: string, migrations: Record<string, Migration>): Promise<SubgraphDatabase<DB>>;
  /** Closes every connection. With `dropDatabases` (tests), Postgres databases are dropped too. */
  close(options?: { dropDatabases?: boolean }): Promise<void>;
}

const INT8_OID = 20;
const INVALID_CATALOG_NAME = '3D000'; // connecting to a database that does not exist
const DUPLICATE_DATABASE = '42P04';
/** First key of every advisory lock taken here (the second is the lock name's hash), so others' locks on the database never collide with ours. */
const ADVISORY_LOCK_SPACE = 0x5348_4f50; // "SHOP"


/** pg returns int8 (and count(*)) as strings, PGlite as numbers: make both numbers. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number.parseInt(value, 10) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface DatabaseHostOptions {
  /** Told about connection errors that happen outside any query (e.g. the server restarted). */
  logger?: { warn(details: object, message: string): void };
}

export async function createDatabaseHost(config: DatabaseConfig, options: DatabaseHostOptions = {}): Promise<DatabaseHost> {
  return config.kind === 'embedded' ? createEmbeddedHost(config) : createPostgresHost(config, options);
}

async function createEmbeddedHost(config: Extract<DatabaseConfig, { kind: 'embedded' }>): Promise<DatabaseHost> {
  if (config.dataDir) await mkdir(config.dataDir, { recursive: true });
  // Loaded only in embedded mode: a process on Postgres (a container) never loads PGlite.
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
  const pglite = config.dataDir ? new PGlite(config.dataDir) : new PGlite();
  await pglite.waitReady;
  const root = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
  return {
    config,
    async open<DB>(name: string, migrations: Record<string, Migration>) {
      // One process owns the data folder (the launcher's folder lock): a lock in memory is enough.
      return openSchema<DB>(root, name, migrations, { runAlone: runAloneInProcess() });
    },
    async close() {
      await root.destroy(); // the PGlite dialect closes the instance itself
      if (!pglite.closed) await pglite.close();
    },
  };
}

async function createPostgresHost(config: Extract<DatabaseConfig, { kind: 'postgres' }>, options: DatabaseHostOptions): Promise<DatabaseHost> {
  const opened: { name: string; database: string; kysely: Kysely<unknown> }[] = [];

  /** A client on the server's maintenance database, for creating and dropping databases. */
  async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const url = new URL(config.url);
    url.pathname = '/postgres';
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async function ensureDatabaseExists(database: string, url: URL): Promise<void> {
    const probe = new pg.Client({ connectionString: url.toString() });
    try {
      await probe.connect();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
    } finally {
      await probe.end().catch(() => undefined);
    }
    await withAdminClient(async (client) => {
      // CREATE DATABASE takes no bind parameters; the name is quoted as an identifier.
      await client.query(`create database ${pg.escapeIdentifier(database)}`).catch((error: unknown) => {
        // Another process (a replica started at the same moment) created it since the probe:
        // 42P04 when its CREATE DATABASE had committed before ours began, 23505 (the unique
        // index on pg_database's names) when both ran at once and ours lost.
        if ((error as { code?: string }).code !== DUPLICATE_DATABASE && !isUniqueViolation(error)) throw error;
      });
    });
  }

  return {
    config,
    async open<DB>(name: string, migrations: Record<string, Migration>) {
      const database = postgresDatabaseName(config, name);
      const url = new URL(config.url);
      url.pathname = `/${database}`;
      await ensureDatabaseExists(database, url);
      // The subgraph's schema is the connection's search_path: no query needs rewriting
      // (Kysely's withSchema plugin walks every query tree; raw SQL finds the tables too).
      const pool = new pg.Pool({ connectionString: url.toString(), max: 10, types: pgTypes, options: `-c search_path=${pg.escapeIdentifier(name)}` });
      // A connection the server closes (restart, failover, pg_terminate_backend)
      // emits 'error' on its client; unheard, that exits the process. The pool
      // listens on idle clients only (and re-emits on itself), so every client
      // gets a listener of its own when it connects: a connection lost while
      // checked out fails the query it ran (retried as any failure), and the
      // pool discards the client on release.
      pool.on('connect', (client) =>
        client.on('error', (error: Error & { code?: string }) =>
          // Not the error object itself: pg attaches the whole client to it.
          options.logger?.warn({ database, code: error.code, reason: error.message }, 'database connection lost'),
        ),
      );
      // Already logged by the client's own listener above; without a listener here the pool's re-emit would exit the process.
      pool.on('error', () => undefined);
      const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
      opened.push({ name, database, kysely });
      return openSchema<DB>(kysely, name, migrations, { onSearchPath: true, runAlone: runAloneWithAdvisoryLock(kysely) });
    },
    async close(options) {
      await Promise.all(opened.map(({ kysely }) => kysely.destroy()));
      if (options?.dropDatabases) {
        await withAdminClient(async (client) => {
          for (const { database } of opened) {
            await client.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
          }
        });
      }
      opened.length = 0;
    },
  };
}

/**
 * Scopes a connection to the subgraph's schema (unless the connection's
 * search_path already does), counts its statements and migrates it.
 */
async function openSchema<DB>(
  connection: Kysely<unknown>,
  name: string,
  migrations: Record<string, Migration>,
  options: { onSearchPath?: boolean; runAlone: SubgraphDatabase<DB>['runAlone'] },
): Promise<SubgraphDatabase<DB>> {
  const statements = new StatementCounter();
  const scoped = (options.onSearchPath ? connection : connection.withSchema(name)).withPlugin(statements);
  await migrate(scoped, name, migrations);
  return { name, db: scoped as unknown as Kysely<DB>, statements, ping: () => ping(scoped), runAlone: options.runAlone };
}

type RunAlone = SubgraphDatabase<unknown>['runAlone'];

/** Postgres: a session advisory lock, taken and released on one pooled connection that `work` does not use. */
function runAloneWithAdvisoryLock(db: Kysely<unknown>): RunAlone {
  return async (lock, work, options) =>
    db.connection().execute(async (connection) => {
      const key = sql`${ADVISORY_LOCK_SPACE}::int, hashtext(${lock})`;
      if (options?.ifFree) {
        const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(connection);
        if (!rows[0]?.locked) return { ran: false as const };
      } else {
        await sql`select pg_advisory_lock(${key})`.execute(connection);
      }
      try {
        return { ran: true as const, value: await work() };
      } finally {
        await sql`select pg_advisory_unlock(${key})`.execute(connection);
      }
    });
}

/** Embedded: a queue per lock name in this process. */
function runAloneInProcess(): RunAlone {
  const tails = new Map<string, Promise<unknown>>();
  return async (lock, work, options) => {
    const previous = tails.get(lock);
    if (previous && options?.ifFree) return { ran: false as const };
    const run = (previous ?? Promise.resolve()).catch(() => undefined).then(work);
    tails.set(lock, run);
    try {
      return { ran: true as const, value: await run };
    } finally {
      if (tails.get(lock) === run) tails.delete(lock);
    }
  };
}

async function migrate(db: Kysely<unknown>, schema: string, migrations: Record<string, Migration>): Promise<void> {
  // The migrator creates the schema (with migrationTableSchema) and its own tables, tolerating a
  // replica that creates them at the same moment (it checks again after a failed CREATE), and
  // runs the migrations under an advisory lock: replicas started together migrate once.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migrating the ${schema} database failed at migration ${failed}`, { cause: error });
  }
}

async function ping(db: Kysely<unknown>): Promise<void> {
  await sql`select 1`.execute(db);
}
