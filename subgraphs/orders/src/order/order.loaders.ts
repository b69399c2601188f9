import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { isUuid } from '@shop/graphql';
import { findItemsByOrderIds, findOrdersByIds } from './order.repository.js';
import type { OrderItemRow, OrderRow, OrdersDatabase } from './order.table.js';

export interface OrderLoaders {
  /** Null for an unknown id, or one that is not a UUID (a forged entity reference). */
  orderById: DataLoader<string, OrderRow | null>;
  itemsByOrderId: DataLoader<string, OrderItemRow[]>;
}

/** Built per request: a batch is one SQL statement, results in key order. */
export function createOrderLoaders(db: Kysely<OrdersDatabase>): OrderLoaders {
  return {
    orderById: new DataLoader(async (ids) => {
      const rows = await findOrdersByIds(db, ids.filter(isUuid));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
    itemsByOrderId: new DataLoader(async (orderIds) => {
      const rows = await findItemsByOrderIds(db, orderIds.filter(isUuid));
      const byOrder = new Map<string, OrderItemRow[]>();
      for (const row of rows) {
        const items = byOrder.get(row.order_id);
        if (items) items.push(row);
        else byOrder.set(row.order_id, [row]);
      }
      return orderIds.map((id) => byOrder.get(id.toLowerCase()) ?? []);
    }),
  };
}
