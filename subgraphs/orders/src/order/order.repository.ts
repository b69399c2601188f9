import type { Compilable, Kysely, QueryCreator } from 'kysely';
import { countRows, newestFirst, type KeysetPage } from '@shop/subgraph-kit';
import type { OrderOutcome, OrderStatus } from './order.model.js';
import type { NewOrderItemRow, NewOrderRow, OrderItemRow, OrderRow, OrdersDatabase } from './order.table.js';

type Db = Kysely<OrdersDatabase>;

export interface OrderListFilter {
  /** Only this customer's orders; null for every customer's (admins). */
  customerId: string | null;
  status: OrderStatus | null;
}

/* findOrdersByIds: one statement for a whole DataLoader batch */
export async function findOrdersByIds(db: Db, ids: readonly string[]): Promise<OrderRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('orders').selectAll().where('id', 'in', ids).execute();
}

/* findItemsByOrderIds: the lines of many orders, each order's in line order */
export async function findItemsByOrderIds(db: Db, orderIds: readonly string[]): Promise<OrderItemRow[]> {
  if (orderIds.length === 0) return [];
  return db
    .selectFrom('order_items')
    .selectAll()
    .where('order_id', 'in', orderIds)
    .orderBy('order_id')
    .orderBy('line_number')
    .execute();
}

/* listOrders: newest first, keyset pagination on (created_at, id) */
export async function listOrders(db: Db, filter: OrderListFilter, page: KeysetPage): Promise<OrderRow[]> {
  return newestFirst(filteredOrders(db, filter).selectAll(), page).execute();
}

/* countOrders */
export async function countOrders(db: Db, filter: OrderListFilter): Promise<number> {
  return countRows(filteredOrders(db, filter));
}

function filteredOrders(db: Db, filter: OrderListFilter) {
  let query = db.selectFrom('orders');
  if (filter.customerId !== null) query = query.where('customer_id', '=', filter.customerId);
  if (filter.status !== null) query = query.where('status', '=', filter.status);
  return query;
}

/* findOrderByIdempotencyKey */
export async function findOrderByIdempotencyKey(db: Db, customerId: string, idempotencyKey: string): Promise<OrderRow | undefined> {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
}

/**
 * orderInsert: the order and its lines as one statement (the lines in a WITH
 * clause), built on `db` so that `outbox.writeWithEvents` can add the event.
 */
export function orderInsert(db: QueryCreator<OrdersDatabase>, order: NewOrderRow, items: Omit<NewOrderItemRow, 'order_id'>[]) {
  const withLines = items.length > 0 ? db.with('inserted_lines', (qc) => qc.insertInto('order_items').values(items.map((item) => ({ ...item, order_id: order.id })))) : db;
  return (withLines as QueryCreator<OrdersDatabase>).insertInto('orders').values(order).returningAll();
}

/* insertOrder: the order and its lines, without an event (fixtures and the bench's outbox-cost measurement) */
export async function insertOrder(db: Db, order: NewOrderRow, items: Omit<NewOrderItemRow, 'order_id'>[]): Promise<OrderRow> {
  return orderInsert(db, order, items).executeTakeFirstOrThrow();
}

/**
 * finishPendingOrder: moves a PENDING order to its final state; the query
 * (run it, or hand it to `outbox.changeAndEmit`) returns no row when the order
 * is not PENDING any more: the first outcome wins, and a late or repeated one
 * changes nothing.
 */
export function finishPendingOrder(db: Db, id: string, outcome: OrderOutcome, now: Date): Compilable<OrderRow> {
  return db.updateTable('orders').set(finished(outcome, now)).where('id', '=', id).where('status', '=', 'PENDING').returningAll();
}

/**
 * finishPendingOrdersPlacedBefore: moves up to `limit` orders still PENDING
 * since before `placedBefore` to their final state, oldest first; rows
 * another transaction holds are skipped (SKIP LOCKED), so replicas can run it
 * side by side.
 */
export async function finishPendingOrdersPlacedBefore(db: Db, placedBefore: Date, limit: number, outcome: OrderOutcome, now: Date): Promise<OrderRow[]> {
  return db
    .updateTable('orders')
    .set(finished(outcome, now))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('orders')
        .select('id')
        .where('status', '=', 'PENDING')
        .where('created_at', '<', placedBefore)
        .orderBy('created_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .where('status', '=', 'PENDING')
    .returningAll()
    .execute();
}

function finished(outcome: OrderOutcome, now: Date) {
  return { status: outcome.status, cancellation_reason: outcome.status === 'CANCELLED' ? outcome.reason : null, updated_at: now };
}
