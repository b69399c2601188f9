import type { Migration } from 'kysely';
import * as createOrders from './2026-11-26T0001-create-orders.js';

/** Every migration of the orders database, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-26T0001-create-orders': createOrders,
};
