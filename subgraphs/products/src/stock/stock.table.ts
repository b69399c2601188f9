import type { ColumnType, Selectable } from 'kysely';

export type ReservationStatus = 'RESERVED' | 'SOLD' | 'RELEASED';

/** Units held for an order: reserved at checkout, then sold or released. */
export interface StockReservationTable {
  order_id: string;
  product_id: string;
  quantity: number;
  status: ReservationStatus;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export type StockReservationRow = Selectable<StockReservationTable>;

export type OrderOutcome = 'CONFIRMED' | 'CANCELLED';

/** How an order ended, remembered so that a late OrderPlaced of a finished order holds no stock. */
export interface OrderOutcomeTable {
  order_id: string;
  outcome: OrderOutcome;
  recorded_at: Date;
}
