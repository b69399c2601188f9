import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { OutboxTables } from '@shop/outbox';
import type { PaymentStatus } from './payment.model.js';

export interface PaymentTable {
  id: string;
  order_id: string;
  customer_id: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  failure_reason: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  /** The provider's charge, once it succeeded: what a refund refers to. */
  charge_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Sent with every charge attempt of this payment, so the provider charges it at most once. */
  idempotency_key: string;
  /** The card token to charge; null only on payments from before intents were stored. */
  payment_token: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * While PENDING: when the next charge attempt is due. Set ahead while an
   * attempt runs (its lease), so no other worker takes the payment meanwhile.
   */
  next_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** When the provider's charges for the order were checked after an unanswered attempt. */
  reconciled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

/** Orders cancelled by the saga: never charge them, refund them if a charge lands anyway. */
export interface CancelledOrderTable {
  order_id: string;
  cancelled_at: Date;
}

export interface PaymentsDatabase extends OutboxTables {
  payments: PaymentTable;
  cancelled_orders: CancelledOrderTable;
}

export type PaymentRow = Selectable<PaymentTable>;
export type NewPaymentRow = Insertable<PaymentTable>;
