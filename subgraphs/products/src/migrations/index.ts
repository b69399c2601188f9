import type { Migration } from 'kysely';
import * as createProducts from './2026-11-26T0001-create-products.js';

/** Every migration of the products database, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-26T0001-create-products': createProducts,
};
