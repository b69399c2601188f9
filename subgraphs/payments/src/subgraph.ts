import { EVENT_CATALOGUE } from '@shop/events';
import { createPaymentProviderClient, type PaymentProviderClient } from '@shop/payment-provider';
import { startSubgraph, type RunningSubgraph, type SubgraphOptions, type SubgraphWiring } from '@shop/subgraph-kit';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { paymentEventHandlers } from './payment/payment.events.js';
import { paymentResolvers } from './payment/payment.resolvers.js';
import { createPaymentService, type PaymentServiceOptions } from './payment/payment.service.js';
import type { PaymentsDatabase } from './payment/payment.table.js';
import { startPaymentWorker, type PaymentWorker } from './payment/payment.worker.js';

export interface PaymentsSubgraphOptions extends SubgraphOptions {
  /** Base URL of the card provider, e.g. http://127.0.0.1:4010 */
  paymentProviderUrl: string;
  /** Timeout, retry and breaker settings of provider calls (tests shorten them). */
  paymentProvider?: Omit<Parameters<typeof createPaymentProviderClient>[0], 'baseUrl' | 'logger' | 'metrics'>;
  /** The saga deadline of the orders subgraph: a payment still PENDING well past it belongs to a cancelled order. */
  sagaDeadlineMs: number;
  /** How often the worker looks for due payments, and the attempt lease and retry cap (tests shorten them). */
  paymentWork?: { intervalMs: number } & Partial<Pick<PaymentServiceOptions, 'attemptLeaseMs' | 'maxRetryDelayMs'>>;
}

export interface PaymentsSubgraph extends RunningSubgraph<PaymentsDatabase> {
  readonly provider: PaymentProviderClient;
  readonly worker: PaymentWorker;
}

/** The payments subgraph: the payment side of the checkout saga, its card provider client and its worker. */
export function startPaymentsSubgraph({
  paymentProviderUrl,
  paymentProvider,
  sagaDeadlineMs,
  paymentWork = { intervalMs: 1_000 },
  ...options
}: PaymentsSubgraphOptions): Promise<PaymentsSubgraph> {
  return startSubgraph(
    {
      name: 'payments',
      schema: new URL('./schema.graphql', import.meta.url),
      resolvers: paymentResolvers,
      migrations,
      wire: ({ db, outbox, metrics, logger, runAlone }: SubgraphWiring<PaymentsDatabase>) => {
        const provider = createPaymentProviderClient({ baseUrl: paymentProviderUrl, logger, metrics, ...paymentProvider });
        // The provider client's worst case with its defaults is 4 attempts of 2 s plus
        // backoff (under 14 s): the lease outlasts it, so a live attempt is never taken over.
        const attemptLeaseMs = paymentWork.attemptLeaseMs ?? 15_000;
        const payments = createPaymentService({
          db,
          outbox,
          provider,
          logger,
          attemptLeaseMs,
          maxRetryDelayMs: paymentWork.maxRetryDelayMs ?? 5_000,
          pendingBoundMs: sagaDeadlineMs + attemptLeaseMs,
        });
        const handlers = paymentEventHandlers(payments);
        return {
          consumers: [
            // Only the subjects it acts on: every delivery costs a decode and an ack.
            { durable: 'payments-from-products', stream: 'PRODUCTS', filterSubject: EVENT_CATALOGUE.StockReserved.subject, handlers },
            { durable: 'payments-from-orders', stream: 'ORDERS', filterSubject: EVENT_CATALOGUE.OrderCancelled.subject, handlers },
          ],
          createContext: (viewer) => createContext(db, viewer),
          async start() {
            const worker = startPaymentWorker(payments, { intervalMs: paymentWork.intervalMs, logger, runAlone });
            return { exposed: { provider, worker }, stop: () => worker.stop() };
          },
        };
      },
    },
    options,
  );
}
