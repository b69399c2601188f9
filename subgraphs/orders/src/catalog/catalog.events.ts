import type { Kysely } from 'kysely';
import { applyOnce, type EventHandlers } from '@shop/outbox';
import type { OrdersDatabase } from '../order/order.table.js';
import { upsertCatalogProduct } from './catalog.repository.js';

/** Keeps the catalog read model in step with the products subgraph. */
export function catalogEventHandlers(db: Kysely<OrdersDatabase>): EventHandlers {
  return {
    async ProductChanged(event) {
      const { productId, sku, name, price, active } = event.data;
      await applyOnce(db, 'orders-catalog', event.id, (trx) =>
        upsertCatalogProduct(trx, {
          product_id: productId,
          sku,
          name,
          price_amount: price.amount,
          currency: price.currency,
          active,
          changed_at: new Date(event.occurredAt),
        }),
      );
    },
  };
}
