import type { Kysely } from 'kysely';
import type { Viewer } from '@shop/graphql';
import { createPaymentLoaders, type PaymentLoaders } from './payment/payment.loaders.js';
import type { PaymentsDatabase } from './payment/payment.table.js';

export interface Context {
  viewer: Viewer;
  db: Kysely<PaymentsDatabase>;
  loaders: PaymentLoaders;
}

export function createContext(db: Kysely<PaymentsDatabase>, viewer: Viewer): Context {
  return { viewer, db, loaders: createPaymentLoaders(db) };
}
