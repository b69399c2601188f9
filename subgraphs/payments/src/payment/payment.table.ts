import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { PaymentStatus } from '../__generated__/resolvers-types.js';

export interface PaymentTable {
  id: string;
  order_id: string;
  customer_id: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  failure_reason: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface PaymentsDatabase {
  payments: PaymentTable;
}

export type PaymentRow = Selectable<PaymentTable>;
export type NewPaymentRow = Insertable<PaymentTable>;
