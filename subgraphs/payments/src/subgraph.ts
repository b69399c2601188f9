import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import { DEFAULT_MAX_DELIVER, type EventTransport } from '@shop/events';
import { startMessaging, type Messaging, type MessagingOptions } from '@shop/outbox';
import { createPaymentProviderClient, type PaymentProviderClient } from '@shop/payment-provider';
import { createMetricsRegistry } from '@shop/observability';
import { startSubgraphServer, type RunningServer, type ServeOptions } from '@shop/server';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { paymentSagaHandlers, type PaymentSagaDeps } from './payment/payment.events.js';
import { startPaymentReconciler, type PaymentReconciler } from './payment/payment.reconciler.js';
import { paymentResolvers } from './payment/payment.resolvers.js';
import type { PaymentsDatabase } from './payment/payment.table.js';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface PaymentsSubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
  transport: EventTransport;
  messaging?: Pick<MessagingOptions, 'relay' | 'redelivery' | 'retention'>;
  /** Base URL of the card provider, e.g. http://127.0.0.1:4010 */
  paymentProviderUrl: string;
  /** Timeout, retry and breaker settings of provider calls (tests shorten them). */
  paymentProvider?: Omit<Parameters<typeof createPaymentProviderClient>[0], 'baseUrl' | 'logger' | 'metrics'>;
  /** How often payments of cancelled orders are reconciled, and when a PENDING one counts as abandoned. */
  reconciliation?: { intervalMs: number; stalePendingMs: number };
}

export interface PaymentsSubgraph extends RunningServer {
  readonly database: SubgraphDatabase<PaymentsDatabase>;
  readonly messaging: Messaging;
  readonly provider: PaymentProviderClient;
  readonly reconciler: PaymentReconciler;
}

/** Opens (and migrates) the payments database, starts its event plumbing and serves the subgraph. */
export async function startPaymentsSubgraph({
  databaseHost,
  transport,
  messaging: tuning,
  paymentProviderUrl,
  paymentProvider,
  reconciliation = { intervalMs: 5_000, stalePendingMs: 120_000 },
  ...serve
}: PaymentsSubgraphOptions): Promise<PaymentsSubgraph> {
  const database = await databaseHost.open<PaymentsDatabase>('payments', migrations);
  const { db } = database;
  const metrics = createMetricsRegistry('payments');
  const provider = createPaymentProviderClient({ baseUrl: paymentProviderUrl, logger: serve.logger, metrics, ...paymentProvider });
  const maxDeliver = tuning?.redelivery?.maxDeliver ?? DEFAULT_MAX_DELIVER;
  const sagaDeps = (notifyOutbox: () => void): PaymentSagaDeps => ({ db, provider, notifyOutbox, logger: serve.logger, maxDeliver });
  const messaging = await startMessaging({
    db,
    transport,
    logger: serve.logger,
    metrics,
    ...tuning,
    consumers: (notifyOutbox) => {
      const handlers = paymentSagaHandlers(sagaDeps(notifyOutbox));
      return [
        { durable: 'payments-from-products', stream: 'PRODUCTS', filterSubject: 'products.>', handlers },
        { durable: 'payments-from-orders', stream: 'ORDERS', filterSubject: 'orders.>', handlers },
      ];
    },
  });
  const reconciler = startPaymentReconciler(sagaDeps(messaging.notifyOutbox), reconciliation);
  const server = await startSubgraphServer({
    name: 'payments',
    typeDefs,
    resolvers: paymentResolvers,
    createContext: (viewer) => createContext(db, viewer),
    metrics,
    checkReady: async () => {
      await database.ping();
      await messaging.assertHealthy();
    },
    ...serve,
  });
  return {
    ...server,
    database,
    messaging,
    provider,
    reconciler,
    async stop() {
      await server.stop();
      await reconciler.stop();
      await messaging.stop();
    },
  };
}
