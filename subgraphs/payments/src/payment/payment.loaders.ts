import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { isUuid } from '@shop/graphql';
import { findPaymentsByIds, findPaymentsByOrderIds } from './payment.repository.js';
import type { PaymentRow, PaymentsDatabase } from './payment.table.js';

export interface PaymentLoaders {
  /** Null for an unknown id, or one that is not a UUID (a forged entity reference). */
  paymentById: DataLoader<string, PaymentRow | null>;
  /** Null until a charge is attempted for the order. */
  paymentByOrderId: DataLoader<string, PaymentRow | null>;
}

/** Built per request: a batch is one SQL statement, results in key order. */
export function createPaymentLoaders(db: Kysely<PaymentsDatabase>): PaymentLoaders {
  return {
    paymentById: new DataLoader(async (ids) => {
      const rows = await findPaymentsByIds(db, ids.filter(isUuid));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
    paymentByOrderId: new DataLoader(async (orderIds) => {
      const rows = await findPaymentsByOrderIds(db, orderIds.filter(isUuid));
      const byOrder = new Map(rows.map((row) => [row.order_id, row]));
      return orderIds.map((id) => byOrder.get(id.toLowerCase()) ?? null);
    }),
  };
}
