import DataLoader from 'dataloader';
import { isUuid } from '@shop/graphql';

/** One statement for a whole batch of keys (`where <key> in (…)`); rows in any order. */
type FindByKeys<Row> = (keys: string[]) => Promise<Row[]>;

/**
 * A DataLoader answering each UUID key with the row whose `keyOf` is that
 * key, or null: a batch is one `find`, and results come back in key order.
 * A key that is not a UUID (a forged entity reference) is answered null
 * without reaching SQL; keys match whatever their case.
 */
export function rowByUuid<Row>(find: FindByKeys<Row>, keyOf: (row: Row) => string): DataLoader<string, Row | null> {
  return new DataLoader(async (keys) => {
    const byKey = new Map((await find(keys.filter(isUuid))).map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key.toLowerCase()) ?? null);
  });
}

/**
 * A DataLoader answering each UUID key with every row whose `keyOf` is that
 * key (in the order `find` returned them), or none: a batch is one `find`,
 * and results come back in key order.
 */
export function rowsByUuid<Row>(find: FindByKeys<Row>, keyOf: (row: Row) => string): DataLoader<string, Row[]> {
  return new DataLoader(async (keys) => {
    const byKey = new Map<string, Row[]>();
    for (const row of await find(keys.filter(isUuid))) {
      const rows = byKey.get(keyOf(row));
      if (rows) rows.push(row);
      else byKey.set(keyOf(row), [row]);
    }
    return keys.map((key) => byKey.get(key.toLowerCase()) ?? []);
  });
}
