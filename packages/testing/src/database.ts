import { randomBytes } from 'node:crypto';
import type { DatabaseConfig } from '@shop/database';

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
