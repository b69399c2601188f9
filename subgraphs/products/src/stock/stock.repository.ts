import type { Kysely, Transaction } from 'kysely';
import type { ProductsDatabase } from '../product/product.table.js';
import type { OrderOutcome, ReservationStatus } from './stock.table.js';

type Trx = Transaction<ProductsDatabase>;

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

/* insertReservations: RESERVED once the units were taken, or RELEASED for an order that ended before its lines arrived */
export async function insertReservations(
  trx: Trx,
  orderId: string,
  lines: readonly { productId: string; quantity: number }[],
  status: 'RESERVED' | 'RELEASED',
  now: Date,
): Promise<void> {
  await trx
    .insertInto('stock_reservations')
    .values(lines.map((line) => ({ order_id: orderId, product_id: line.productId, quantity: line.quantity, status, created_at: now, updated_at: now })))
    .execute();
}

/* findOrderOutcome */
export async function findOrderOutcome(trx: Trx, orderId: string): Promise<OrderOutcome | undefined> {
  const row = await trx.selectFrom('order_outcomes').select('outcome').where('order_id', '=', orderId).executeTakeFirst();
  return row?.outcome;
}

/**
 * settleOrder: records how the order ended (the first outcome recorded is
 * kept) and, in the same statement, turns its RESERVED lines into SOLD
 * (confirmed) or RELEASED (cancelled); then moves the units from reserved to
 * sold or back to available. Lines already settled are left alone, so
 * settling twice changes nothing.
 */
export async function settleOrder(trx: Trx, orderId: string, outcome: OrderOutcome, now: Date): Promise<number> {
  const to: Exclude<ReservationStatus, 'RESERVED'> = outcome === 'CONFIRMED' ? 'SOLD' : 'RELEASED';
  const settled = await trx
    .with('recorded_outcome', (qc) =>
      qc
        .insertInto('order_outcomes')
        .values({ order_id: orderId, outcome, recorded_at: now })
        .onConflict((conflict) => conflict.column('order_id').doNothing()),
    )
    .updateTable('stock_reservations')
    .set({ status: to, updated_at: now })
    .where('order_id', '=', orderId)
    .where('status', '=', 'RESERVED')
    .returning(['product_id', 'quantity'])
    .execute();
  // Product rows in id order, as reservations take them, so concurrent settlements cannot deadlock.
  for (const { product_id, quantity } of settled.sort((a, b) => a.product_id.localeCompare(b.product_id))) {
    await trx
      .updateTable('products')
      .set((eb) =>
        to === 'SOLD'
          ? { stock_reserved: eb('stock_reserved', '-', quantity), stock_sold: eb('stock_sold', '+', quantity), updated_at: now }
          : { stock_reserved: eb('stock_reserved', '-', quantity), stock_available: eb('stock_available', '+', quantity), updated_at: now },
      )
      .where('id', '=', product_id)
      .execute();
  }
  return settled.length;
}

/** Totals of the stock ledger, for invariant checks: received = available + reserved + sold. */
export async function stockLedger(db: Kysely<ProductsDatabase>) {
  return db.selectFrom('products').select(['id', 'stock_received', 'stock_available', 'stock_reserved', 'stock_sold']).execute();
}
