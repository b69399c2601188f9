import type { Compilable, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PaymentStatus } from './payment.model.js';
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

/**
 * insertPaymentIntent: the payment of an order, committed before any charge,
 * unless the order already has one (a redelivery) or was cancelled first.
 * Undefined in either case. One statement, so no transaction is held.
 */
export async function insertPaymentIntent(db: Db, row: NewPaymentRow): Promise<PaymentRow | undefined> {
  return db
    .insertInto('payments')
    .columns(['id', 'order_id', 'customer_id', 'amount', 'currency', 'status', 'failure_reason', 'idempotency_key', 'payment_token', 'next_attempt_at', 'created_at', 'updated_at'])
    .expression(
      db
        .selectNoFrom((eb) => [
          eb.val(row.id).as('id'),
          eb.val(row.order_id).as('order_id'),
          eb.val(row.customer_id).as('customer_id'),
          eb.val(row.amount).as('amount'),
          eb.val(row.currency).as('currency'),
          eb.val(row.status).as('status'),
          eb.val(row.failure_reason ?? null).as('failure_reason'),
          eb.val(row.idempotency_key).as('idempotency_key'),
          eb.val(row.payment_token ?? null).as('payment_token'),
          eb.val(row.next_attempt_at ?? null).as('next_attempt_at'),
          eb.val(row.created_at).as('created_at'),
          eb.val(row.updated_at).as('updated_at'),
        ])
        .where((eb) => eb.not(eb.exists(eb.selectFrom('cancelled_orders').select('order_id').where('order_id', '=', row.order_id)))),
    )
    .onConflict((conflict) => conflict.column('order_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** A claimed payment, and whether its order is known to be cancelled. */
export type ClaimedPayment = PaymentRow & { order_cancelled: boolean };

/**
 * claimDuePayments: PENDING payments whose next attempt is due, leased until
 * `leaseUntil` so no other worker takes them meanwhile. SKIP LOCKED lets
 * replicas claim side by side.
 */
export async function claimDuePayments(db: Db, options: { now: Date; leaseUntil: Date; limit: number }): Promise<ClaimedPayment[]> {
  const rows = await db
    .updateTable('payments')
    .set({ next_attempt_at: options.leaseUntil })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('payments')
        .select('id')
        .where('status', '=', 'PENDING')
        .where('next_attempt_at', '<=', options.now)
        .orderBy('next_attempt_at')
        .limit(options.limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .returning((eb) => eb.exists(eb.selectFrom('cancelled_orders').select('order_id').whereRef('cancelled_orders.order_id', '=', 'payments.order_id')).as('order_cancelled'))
    .execute();
  return rows.map((row) => ({ ...row, order_cancelled: Boolean(row.order_cancelled) }));
}

/** claimPayment: leases one PENDING payment unless an attempt holds it; undefined when held or settled. */
export async function claimPayment(db: Db, id: string, options: { now: Date; leaseUntil: Date }): Promise<PaymentRow | undefined> {
  return db
    .updateTable('payments')
    .set({ next_attempt_at: options.leaseUntil })
    .where('id', '=', id)
    .where('status', '=', 'PENDING')
    .where('next_attempt_at', '<=', options.now)
    .returningAll()
    .executeTakeFirst();
}

/* scheduleRetry: the provider gave no answer; try again at `at` */
export async function scheduleRetry(db: Db, id: string, attempts: number, at: Date, now: Date): Promise<void> {
  await db
    .updateTable('payments')
    .set({ attempts: sql<number>`attempts + ${attempts}`, next_attempt_at: at, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'PENDING')
    .execute();
}

/**
 * settlePayment: moves a payment from `from` to its outcome; the query (hand
 * it to `outbox.changeAndEmit` with the event announcing it) returns no row
 * when the payment is not in `from` any more (settled by another attempt).
 */
export function settlePayment(
  db: Db,
  id: string,
  from: PaymentStatus,
  outcome: { status: PaymentStatus; failureReason?: string | null; chargeId?: string | null; attempts?: number; reconciled?: boolean },
  now: Date,
): Compilable<PaymentRow> {
  return db
    .updateTable('payments')
    .set({
      status: outcome.status,
      updated_at: now,
      next_attempt_at: null,
      ...(outcome.reconciled ? { reconciled_at: now } : {}),
      ...(outcome.failureReason !== undefined ? { failure_reason: outcome.failureReason } : {}),
      ...(outcome.chargeId !== undefined ? { charge_id: outcome.chargeId } : {}),
      ...(outcome.attempts ? { attempts: sql<number>`attempts + ${outcome.attempts}` } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll();
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
 * money: SUCCEEDED (a refund is due), or FAILED after unanswered attempts by
 * an earlier version and never checked with the provider. PENDING ones are
 * the worker's (claimDuePayments).
 */
export async function findPaymentsToReconcile(db: Db, options: { unseenChargeReasons: readonly string[]; limit: number }): Promise<PaymentRow[]> {
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
