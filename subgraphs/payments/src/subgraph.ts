import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import { EVENT_CATALOGUE, type EventTransport } from '@shop/events';
import { createOutbox, startMessaging, type CommittedEvents, type Messaging, type MessagingOptions } from '@shop/outbox';
import { createPaymentProviderClient, type PaymentProviderClient } from '@shop/payment-provider';
import { createMetricsRegistry } from '@shop/observability';
import { startSubgraphServer, type RunningServer, type ServeOptions } from '@shop/graphql';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { paymentEventHandlers } from './payment/payment.events.js';
import { createPaymentService, type PaymentServiceOptions } from './payment/payment.service.js';
import { startPaymentWorker, type PaymentWorker } from './payment/payment.worker.js';
import { paymentResolvers } from './payment/payment.resolvers.js';
import type { PaymentsDatabase } from './payment/payment.table.js';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface PaymentsSubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
  transport: EventTransport;
  messaging?: Pick<MessagingOptions, 'relay' | 'redelivery' | 'retention' | 'concurrency'>;
  /** Base URL of the card provider, e.g. http://127.0.0.1:4010 */
  paymentProviderUrl: string;
  /** Timeout, retry and breaker settings of provider calls (tests shorten them). */
  paymentProvider?: Omit<Parameters<typeof createPaymentProviderClient>[0], 'baseUrl' | 'logger' | 'metrics'>;
  /** The saga deadline of the orders subgraph: a payment still PENDING well past it belongs to a cancelled order. */
  sagaDeadlineMs: number;
  /** How often the worker looks for due payments, and the attempt lease and retry cap (tests shorten them). */
  paymentWork?: { intervalMs: number } & Partial<Pick<PaymentServiceOptions, 'attemptLeaseMs' | 'maxRetryDelayMs'>>;
}

export interface PaymentsSubgraph extends RunningServer {
  readonly database: SubgraphDatabase<PaymentsDatabase>;
  readonly messaging: Messaging;
  readonly provider: PaymentProviderClient;
  readonly worker: PaymentWorker;
}

/** Opens (and migrates) the payments database, starts its event plumbing and serves the subgraph. */
export async function startPaymentsSubgraph({
  databaseHost,
  transport,
  messaging: tuning,
  paymentProviderUrl,
  paymentProvider,
  sagaDeadlineMs,
  paymentWork = { intervalMs: 1_000 },
  ...serve
}: PaymentsSubgraphOptions): Promise<PaymentsSubgraph> {
  const database = await databaseHost.open<PaymentsDatabase>('payments', migrations);
  const { db } = database;
  const metrics = createMetricsRegistry('payments');
  const provider = createPaymentProviderClient({ baseUrl: paymentProviderUrl, logger: serve.logger, metrics, ...paymentProvider });
  // The provider client's worst case with its defaults is 4 attempts of 2 s plus
  // backoff (under 14 s): the lease outlasts it, so a live attempt is never taken over.
  const attemptLeaseMs = paymentWork.attemptLeaseMs ?? 15_000;
  const service = (notifyOutbox: CommittedEvents) =>
    createPaymentService({
      db,
      outbox: createOutbox(db, notifyOutbox),
      provider,
      logger: serve.logger,
      attemptLeaseMs,
      maxRetryDelayMs: paymentWork.maxRetryDelayMs ?? 5_000,
      pendingBoundMs: sagaDeadlineMs + attemptLeaseMs,
    });
  const messaging = await startMessaging({
    db,
    transport,
    logger: serve.logger,
    metrics,
    ...tuning,
    consumers: (notifyOutbox) => {
      const handlers = paymentEventHandlers(service(notifyOutbox));
      return [
        // Only the subjects it acts on: every delivery costs a decode and an ack.
        { durable: 'payments-from-products', stream: 'PRODUCTS', filterSubject: EVENT_CATALOGUE.StockReserved.subject, handlers },
        { durable: 'payments-from-orders', stream: 'ORDERS', filterSubject: EVENT_CATALOGUE.OrderCancelled.subject, handlers },
      ];
    },
  });
  const worker = startPaymentWorker(service(messaging.notifyOutbox), { intervalMs: paymentWork.intervalMs, logger: serve.logger });
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
    worker,
    async stop() {
      await server.stop();
      await worker.stop();
      await messaging.stop();
    },
  };
}
