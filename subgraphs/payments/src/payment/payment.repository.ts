import type { Kysely } from 'kysely';
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
