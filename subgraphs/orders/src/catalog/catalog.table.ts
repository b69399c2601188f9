import type { Selectable } from 'kysely';

/** What orders knows of a product: enough to validate and price an order line. */
export interface CatalogProductTable {
  product_id: string;
  sku: string;
  name: string;
  price_amount: number;
  currency: string;
  active: boolean;
  changed_at: Date;
}

export type CatalogProductRow = Selectable<CatalogProductTable>;
