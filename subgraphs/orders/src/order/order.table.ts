import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { CancellationReason, OrderStatus } from '../__generated__/resolvers-types.js';

export interface OrderTable {
  id: string;
  customer_id: string;
  status: OrderStatus;
  cancellation_reason: CancellationReason | null;
  total_amount: number;
  currency: string;
  idempotency_key: string;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface OrderItemTable {
  order_id: string;
  line_number: number;
  product_id: string;
  quantity: number;
  unit_price_amount: number;
  currency: string;
}

export interface OrdersDatabase {
  orders: OrderTable;
  order_items: OrderItemTable;
}

export type OrderRow = Selectable<OrderTable>;
export type NewOrderRow = Insertable<OrderTable>;
export type OrderItemRow = Selectable<OrderItemTable>;
export type NewOrderItemRow = Insertable<OrderItemTable>;
