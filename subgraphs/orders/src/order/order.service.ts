import type { Kysely } from 'kysely';
import { decodeCursor, isAdmin, parseFirst, requireUser, toConnection, type Connection, type Viewer } from '@shop/server';
import type { OrderStatus } from '../__generated__/resolvers-types.js';
import * as repository from './order.repository.js';
import type { OrderRow, OrdersDatabase } from './order.table.js';

type Db = Kysely<OrdersDatabase>;

/** A page of orders; `totalCount` runs its statement only when the field is asked for. */
export interface OrderPage extends Connection<OrderRow> {
  totalCount: () => Promise<number>;
}

/** Customers list their own orders; admins list everyone's. */
export async function listOrders(
  db: Db,
  viewer: Viewer,
  args: { first?: number | null; after?: string | null; status?: OrderStatus | null },
): Promise<OrderPage> {
  const userId = requireUser(viewer);
  const first = parseFirst(args.first);
  const after = decodeCursor(args.after);
  const filter = { customerId: isAdmin(viewer) ? null : userId, status: args.status ?? null };
  const rows = await repository.listOrders(db, filter, { limit: first + 1, after });
  return { ...toConnection(rows, first), totalCount: () => repository.countOrders(db, filter) };
}
