import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { rowByUuid, rowsByUuid } from '@shop/subgraph-kit';
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
    orderById: rowByUuid((ids) => findOrdersByIds(db, ids), (order) => order.id),
    itemsByOrderId: rowsByUuid((orderIds) => findItemsByOrderIds(db, orderIds), (item) => item.order_id),
  };
}
