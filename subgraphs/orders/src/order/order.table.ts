import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { OutboxTables } from '@shop/outbox';
import type { CatalogProductTable } from '../catalog/catalog.table.js';
import type { CancellationReason, OrderStatus } from './order.model.js';

export interface OrderTable {
  id: string;
  customer_id: string;
  status: OrderStatus;
  cancellation_reason: CancellationReason | null;
  total_amount: number;
  currency: string;
  idempotency_key: string;
  /** Hash of the placeOrder request (items and payment token) made with `idempotency_key`. */
  request_fingerprint: ColumnType<string, string | undefined, string>;
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

export interface OrdersDatabase extends OutboxTables {
  orders: OrderTable;
  order_items: OrderItemTable;
  catalog_products: CatalogProductTable;
}

export type OrderRow = Selectable<OrderTable>;
export type NewOrderRow = Insertable<OrderTable>;
export type OrderItemRow = Selectable<OrderItemTable>;
export type NewOrderItemRow = Insertable<OrderItemTable>;
