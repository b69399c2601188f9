import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseHost, type DatabaseHost } from '@shop/database';
import { migrations as orders } from '@shop/orders';
import { migrations as payments } from '@shop/payments';
import { migrations as products } from '@shop/products';
import { describeDatabase, testDatabaseConfig } from '@shop/testing';

const config = testDatabaseConfig();
let host: DatabaseHost;

beforeAll(async () => {
  host = await createDatabaseHost(config);
});
afterAll(() => host?.close({ dropDatabases: true }));

async function tablesIn(db: Kysely<unknown>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = ${schema} and table_name not like 'kysely_%' order by table_name`.execute(db);
  return rows.map((row) => row.table_name);
}

describe(`migrations on ${describeDatabase(config)}`, () => {
  it.each([
    ['products', products, ['inbox', 'order_outcomes', 'outbox', 'products', 'stock_reservations']],
    ['orders', orders, ['catalog_products', 'inbox', 'order_items', 'orders', 'outbox']],
    ['payments', payments, ['cancelled_orders', 'inbox', 'outbox', 'payments']],
  ] as [string, Record<string, Migration>, string[]][])('%s: names are timestamped, up creates the tables, down removes them all', async (name, list, tables) => {
    for (const migrationName of Object.keys(list)) expect(migrationName).toMatch(/^\d{4}-\d{2}-\d{2}T\d{4}-[a-z0-9-]+$/);
    const { db } = await host.open(name, list);
    expect(await tablesIn(db as Kysely<unknown>, name)).toEqual(tables);
    const migrator = new Migrator({ db: db as Kysely<unknown>, provider: { getMigrations: async () => list }, migrationTableSchema: name });
    for (let step = 0; step < Object.keys(list).length; step += 1) {
      const { error } = await migrator.migrateDown();
      expect(error).toBeUndefined();
    }
    expect(await tablesIn(db as Kysely<unknown>, name)).toEqual([]);
    const { error } = await migrator.migrateToLatest();
    expect(error).toBeUndefined();
    expect(await tablesIn(db as Kysely<unknown>, name)).toEqual(tables);
  });
});
