import { randomBytes } from 'node:crypto';
import type { DatabaseConfig } from '@shop/database';
import type { EventsConfig } from '@shop/launcher';

/**
 * The database a test runs against: real Postgres when `DATABASE_URL` is set
 * (fresh databases with a random prefix, dropped when the test stops), else
 * PGlite in memory.
 */
export function testDatabaseConfig(): DatabaseConfig {
  const url = process.env['DATABASE_URL'];
  if (!url) return { kind: 'embedded', dataDir: undefined };
  return { kind: 'postgres', url, databasePrefix: `test_${randomBytes(5).toString('hex')}` };
}

export function describeDatabase(config: DatabaseConfig): string {
  return config.kind === 'embedded' ? 'PGlite' : 'Postgres';
}

/**
 * The event transport a test runs on: the machine's NATS JetStream when
 * `NATS_URL` is set, in a namespace of its own so parallel test files never
 * share streams or consumers; else the in-process transport.
 */
export function testEventsConfig(): EventsConfig {
  const url = process.env['NATS_URL'];
  if (!url) return { kind: 'in-process' };
  return { kind: 'jetstream', url, namespace: `test_${randomBytes(5).toString('hex')}` };
}
