import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PaymentStatus } from '../__generated__/resolvers-types.js';
import type { NewPaymentRow, PaymentRow, PaymentsDatabase } from './payment.table.js';

type Db = Kysely<PaymentsDatabase>;

/* findPaymentsByIds: one statement for a whole DataLoader batch */
export async function findPaymentsByIds(db: Db, ids: readonly string[]): Promise<PaymentRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('payments').selectAll().where('id', 'in', ids).execute();
}

/* findPaymentsByOrderIds: one statement for a whole DataLoader batch */
export async function findPaymentsByOrderIds(db: Db, orderIds: readonly string[]): Promise<PaymentRow[]> {
  if (orderIds.length === 0) return [];
  return db.selectFrom('payments').selectAll().where('order_id', 'in', orderIds).execute();
}

/* insertPayment */
export async function insertPayment(db: Db, row: NewPaymentRow): Promise<PaymentRow> {
  return db.insertInto('payments').values(row).returningAll().executeTakeFirstOrThrow();
}

/* findPaymentByOrderId */
export async function findPaymentByOrderId(db: Db, orderId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

/* insertPaymentIfMissing: one payment per order, whoever comes first */
export async function insertPaymentIfMissing(db: Db, row: NewPaymentRow): Promise<PaymentRow> {
  await db.insertInto('payments').values(row).onConflict((conflict) => conflict.column('order_id').doNothing()).execute();
  const payment = await findPaymentByOrderId(db, row.order_id);
  if (!payment) throw new Error(`payment for order ${row.order_id} vanished after insert`);
  return payment;
}

/* addPaymentAttempts: provider calls that ended without an answer */
export async function addPaymentAttempts(db: Db, id: string, attempts: number, now: Date): Promise<void> {
  await db.updateTable('payments').set({ attempts: sql<number>`attempts + ${attempts}`, updated_at: now }).where('id', '=', id).execute();
}

/**
 * settlePayment: moves a payment from `from` to its outcome. Undefined when it
 * is not in `from` any more (settled by an earlier delivery).
 */
export async function settlePayment(
  db: Db,
  id: string,
  from: PaymentStatus,
  outcome: { status: PaymentStatus; failureReason?: string | null; chargeId?: string | null; attempts?: number },
  now: Date,
): Promise<PaymentRow | undefined> {
  return db
    .updateTable('payments')
    .set({
      status: outcome.status,
      updated_at: now,
      ...(outcome.failureReason !== undefined ? { failure_reason: outcome.failureReason } : {}),
      ...(outcome.chargeId !== undefined ? { charge_id: outcome.chargeId } : {}),
      ...(outcome.attempts ? { attempts: sql<number>`attempts + ${outcome.attempts}` } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
}

/* recordCancelledOrder */
export async function recordCancelledOrder(db: Db, orderId: string, now: Date): Promise<void> {
  await db.insertInto('cancelled_orders').values({ order_id: orderId, cancelled_at: now }).onConflict((c) => c.column('order_id').doNothing()).execute();
}

/* isOrderCancelled */
export async function isOrderCancelled(db: Db, orderId: string): Promise<boolean> {
  const row = await db.selectFrom('cancelled_orders').select('order_id').where('order_id', '=', orderId).executeTakeFirst();
  return row !== undefined;
}

/**
 * findPaymentsToReconcile: payments of cancelled orders that may still hold
 * money or be stuck: SUCCEEDED (refund due), FAILED after unanswered attempts
 * and not yet checked with the provider, or PENDING since before `staleBefore`.
 */
export async function findPaymentsToReconcile(
  db: Db,
  options: { unseenChargeReasons: readonly string[]; staleBefore: Date; limit: number },
): Promise<PaymentRow[]> {
  return db
    .selectFrom('payments')
    .selectAll('payments')
    .innerJoin('cancelled_orders', 'cancelled_orders.order_id', 'payments.order_id')
    .where((eb) =>
      eb.or([
        eb('payments.status', '=', 'SUCCEEDED'),
        eb.and([
          eb('payments.status', '=', 'FAILED'),
          eb('payments.attempts', '>', 0),
          eb('payments.failure_reason', 'in', options.unseenChargeReasons),
          eb('payments.reconciled_at', 'is', null),
        ]),
        eb.and([eb('payments.status', '=', 'PENDING'), eb('payments.updated_at', '<', options.staleBefore)]),
      ]),
    )
    .orderBy('payments.updated_at')
    .limit(options.limit)
    .execute();
}

/* markPaymentReconciled */
export async function markPaymentReconciled(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('payments').set({ reconciled_at: now }).where('id', '=', id).execute();
}
