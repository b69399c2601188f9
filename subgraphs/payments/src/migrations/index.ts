import type { Migration } from 'kysely';
import * as createPayments from './2026-11-26T0001-create-payments.js';

/** Every migration of the payments database, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-26T0001-create-payments': createPayments,
};
