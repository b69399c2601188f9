import type { Migration } from 'kysely';
import { addOutboxAndInboxRetentionIndexesV2, createOutboxAndInboxV1 } from '@shop/outbox';
import * as createProducts from './2026-11-26T0001-create-products.js';
import * as createStockReservations from './2026-11-26T0101-create-stock-reservations.js';
import * as createOrderOutcomes from './2026-11-29T0001-create-order-outcomes.js';
import * as addRejectedReservations from './2026-11-30T0001-add-rejected-reservations.js';

/** Every migration of the products database, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-26T0001-create-products': createProducts,
  '2026-11-26T0100-create-outbox-and-inbox': createOutboxAndInboxV1,
  '2026-11-26T0101-create-stock-reservations': createStockReservations,
  '2026-11-26T0200-add-outbox-and-inbox-retention-indexes': addOutboxAndInboxRetentionIndexesV2,
  '2026-11-29T0001-create-order-outcomes': createOrderOutcomes,
  '2026-11-30T0001-add-rejected-reservations': addRejectedReservations,
};
