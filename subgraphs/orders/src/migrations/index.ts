import type { Migration } from 'kysely';
import { addOutboxAndInboxRetentionIndexesV2, createOutboxAndInboxV1 } from '@shop/outbox';
import * as createOrders from './2026-11-26T0001-create-orders.js';
import * as createCatalogProducts from './2026-11-26T0101-create-catalog-products.js';
import * as addOrderRequestFingerprint from './2026-11-26T0102-add-order-request-fingerprint.js';

/** Every migration of the orders database, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-26T0001-create-orders': createOrders,
  '2026-11-26T0100-create-outbox-and-inbox': createOutboxAndInboxV1,
  '2026-11-26T0101-create-catalog-products': createCatalogProducts,
  '2026-11-26T0102-add-order-request-fingerprint': addOrderRequestFingerprint,
  '2026-11-26T0200-add-outbox-and-inbox-retention-indexes': addOutboxAndInboxRetentionIndexesV2,
};
