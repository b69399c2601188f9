import type { ColumnType } from 'kysely';

/**
 * RESERVED: units held for a pending order; SOLD / RELEASED: the order was
 * confirmed / cancelled (RELEASED also records the lines of an order
 * cancelled before they arrived: no unit moved); REJECTED: the stock could
 * not cover the order, no unit moved.
 */
export type ReservationStatus = 'RESERVED' | 'SOLD' | 'RELEASED' | 'REJECTED';

/** One line of an order as products holds it. Its key (order, product) makes an order's lines arrive once. */
export interface StockReservationTable {
  order_id: string;
  product_id: string;
  quantity: number;
  status: ReservationStatus;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export type OrderOutcome = 'CONFIRMED' | 'CANCELLED';

/** How an order ended, remembered so that a late OrderPlaced of a finished order holds no stock. */
export interface OrderOutcomeTable {
  order_id: string;
  outcome: OrderOutcome;
  recorded_at: Date;
}
