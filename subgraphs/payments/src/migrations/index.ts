import type { Migration } from 'kysely';
import { addOutboxAndInboxRetentionIndexesV2, createOutboxAndInboxV1 } from '@shop/outbox';
import * as createPayments from './2026-11-26T0001-create-payments.js';
import * as addChargeAndCancellations from './2026-11-26T0101-add-payment-charge-and-cancellations.js';
import * as addReconciledAt from './2026-11-26T0102-add-payment-reconciled-at.js';
import * as addPaymentIntent from './2026-11-29T0001-add-payment-intent.js';

/** Every migration of the payments database, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '2026-11-26T0001-create-payments': createPayments,
  '2026-11-26T0100-create-outbox-and-inbox': createOutboxAndInboxV1,
  '2026-11-26T0101-add-payment-charge-and-cancellations': addChargeAndCancellations,
  '2026-11-26T0102-add-payment-reconciled-at': addReconciledAt,
  '2026-11-26T0200-add-outbox-and-inbox-retention-indexes': addOutboxAndInboxRetentionIndexesV2,
  '2026-11-29T0001-add-payment-intent': addPaymentIntent,
};
