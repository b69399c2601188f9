import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { rowByUuid } from '@shop/subgraph-kit';
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
    paymentById: rowByUuid((ids) => findPaymentsByIds(db, ids), (payment) => payment.id),
    paymentByOrderId: rowByUuid((orderIds) => findPaymentsByOrderIds(db, orderIds), (payment) => payment.order_id),
  };
}
