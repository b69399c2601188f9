import type { SelectQueryBuilder } from 'kysely';
import type { CursorPosition } from '@shop/graphql';

/** Which rows a page holds: `limit` of them after the cursor's position (from the first row when null). */
export interface KeysetPage {
  limit: number;
  after: CursorPosition | null;
}

/** The columns a "newest first" listing is keyed on. */
interface KeysetColumns {
  created_at: Date;
  id: string;
}

/**
 * Newest first, keyset pagination on (created_at, id): the rows of `query`
 * after the page's cursor position, `page.limit` of them. Fetch `first + 1`
 * and hand the rows to `toConnection`: the extra row says whether another
 * page exists. `query` selects from one table with `created_at` and `id`.
 */
export function newestFirst<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, page: KeysetPage): SelectQueryBuilder<DB, TB, O> {
  // Kysely cannot type "any table with these columns"; every listing's table has them.
  let keyed = query as unknown as SelectQueryBuilder<{ listed: KeysetColumns }, 'listed', O>;
  if (page.after) {
    const { createdAt, id } = page.after;
    keyed = keyed.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
  }
  return keyed.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit) as unknown as SelectQueryBuilder<DB, TB, O>;
}

/**
 * The rows a listing holds in all (a connection's `totalCount`): `query` is
 * the listing's `selectFrom(…).where(…)`, before it selects anything.
 * pg answers count(*) as a string, PGlite as a number: both become a number.
 */
export async function countRows<DB, TB extends keyof DB>(query: SelectQueryBuilder<DB, TB, object>): Promise<number> {
  // Kysely cannot name the selection's type over a generic table; the count is all it selects.
  const listing = query as unknown as SelectQueryBuilder<{ listed: KeysetColumns }, 'listed', object>;
  const { count } = await listing.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(count);
}
