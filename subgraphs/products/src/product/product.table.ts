import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { OutboxTables } from '@shop/outbox';
import type { OrderOutcomeTable, StockReservationTable } from '../stock/stock.table.js';

export interface ProductTable {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_amount: number;
  price_currency: string;
  stock_received: number;
  stock_available: number;
  stock_reserved: ColumnType<number, number | undefined, number>;
  stock_sold: ColumnType<number, number | undefined, number>;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface ProductsDatabase extends OutboxTables {
  products: ProductTable;
  stock_reservations: StockReservationTable;
  order_outcomes: OrderOutcomeTable;
}

export type ProductRow = Selectable<ProductTable>;
export type NewProductRow = Insertable<ProductTable>;
export type ProductPatch = Updateable<ProductTable>;
