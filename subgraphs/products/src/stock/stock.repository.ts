import { sql, type Kysely, type Transaction } from 'kysely';
import type { ProductsDatabase } from '../product/product.table.js';
import type { OrderOutcome, ReservationStatus } from './stock.table.js';

type Trx = Transaction<ProductsDatabase>;
type Executor = Kysely<ProductsDatabase>;
type Line = { productId: string; quantity: number };

/** What products already knows of an order: how it ended, if it was told, and whether its lines are on record. */
export interface OrderOnRecord {
  outcome: OrderOutcome | undefined;
  linesOnRecord: boolean;
}

/* findOrderOnRecord: one statement for both questions an OrderPlaced asks first */
export async function findOrderOnRecord(trx: Trx, orderId: string): Promise<OrderOnRecord> {
  const row = await trx
    .selectNoFrom((eb) => [
      eb.selectFrom('order_outcomes').select('outcome').where('order_id', '=', orderId).as('outcome'),
      eb.exists(eb.selectFrom('stock_reservations').select(sql.lit(1).as('one')).where('order_id', '=', orderId)).as('lines_on_record'),
    ])
    .executeTakeFirstOrThrow();
  return { outcome: row.outcome ?? undefined, linesOnRecord: Boolean(row.lines_on_record) };
}

/* findOutcome: how the order ended, if products was told */
export async function findOutcome(db: Executor, orderId: string): Promise<OrderOutcome | undefined> {
  const row = await db.selectFrom('order_outcomes').select('outcome').where('order_id', '=', orderId).executeTakeFirst();
  return row?.outcome;
}

/**
 * reserveStock: moves `quantity` units from available to reserved, only if
 * the product is active and has them. Under READ COMMITTED the condition is
 * re-checked after waiting for a concurrent update of the row, so two orders
 * can never both take the last unit; CHECK (stock_available >= 0) backs it up.
 */
export async function reserveStock(trx: Trx, productId: string, quantity: number, now: Date): Promise<boolean> {
  const row = await trx
    .updateTable('products')
    .set((eb) => ({
      stock_available: eb('stock_available', '-', quantity),
      stock_reserved: eb('stock_reserved', '+', quantity),
      updated_at: now,
    }))
    .where('id', '=', productId)
    .where('active', '=', true)
    .where('stock_available', '>=', quantity)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The rows of an order's lines, in a given status. Their key (order, product)
 * refuses a second copy: a concurrent duplicate of an OrderPlaced fails there
 * and rolls back whatever it did.
 */
export function reservationRows(orderId: string, lines: readonly Line[], status: Exclude<ReservationStatus, 'SOLD'>, now: Date) {
  return lines.map((line) => ({ order_id: orderId, product_id: line.productId, quantity: line.quantity, status, created_at: now, updated_at: now }));
}

export async function insertReservations(trx: Trx, orderId: string, lines: readonly Line[], status: 'RESERVED' | 'RELEASED', now: Date): Promise<void> {
  await trx.insertInto('stock_reservations').values(reservationRows(orderId, lines, status, now)).execute();
}

/**
 * settleOrder, in one statement (no transaction needed: Postgres applies a
 * statement's data-modifying WITH clauses together or not at all): records how
 * the order ended (the first outcome recorded is kept), turns its RESERVED
 * lines into SOLD (confirmed) or RELEASED (cancelled), and moves their units
 * from reserved to sold or back to available. Lines already settled are left
 * alone, so settling twice changes nothing.
 */
export async function settleOrder(db: Executor | Trx, orderId: string, outcome: OrderOutcome, now: Date): Promise<number> {
  const to: Exclude<ReservationStatus, 'RESERVED'> = outcome === 'CONFIRMED' ? 'SOLD' : 'RELEASED';
  const moved = await db
    .with('recorded_outcome', (qc) =>
      qc
        .insertInto('order_outcomes')
        .values({ order_id: orderId, outcome, recorded_at: now })
        .onConflict((conflict) => conflict.column('order_id').doNothing()),
    )
    .with('settled', (qc) =>
      qc
        .updateTable('stock_reservations')
        .set({ status: to, updated_at: now })
        .where('order_id', '=', orderId)
        .where('status', '=', 'RESERVED')
        .returning(['product_id', 'quantity']),
    )
    // Product rows are locked in id order, as reservations take them, so that
    // concurrent settlements and reservations of the same products cannot deadlock.
    .with('locked', (qc) =>
      qc
        .selectFrom('products')
        .select('id')
        .where('id', 'in', qc.selectFrom('settled').select('product_id'))
        .orderBy('id')
        .forUpdate(),
    )
    .updateTable('products')
    .from(['settled', 'locked'])
    .set((eb) =>
      to === 'SOLD'
        ? { stock_reserved: eb('products.stock_reserved', '-', eb.ref('settled.quantity')), stock_sold: eb('products.stock_sold', '+', eb.ref('settled.quantity')), updated_at: now }
        : { stock_reserved: eb('products.stock_reserved', '-', eb.ref('settled.quantity')), stock_available: eb('products.stock_available', '+', eb.ref('settled.quantity')), updated_at: now },
    )
    .whereRef('products.id', '=', 'locked.id')
    .whereRef('settled.product_id', '=', 'locked.id')
    .returning('products.id')
    .execute();
  return moved.length;
}
