import type { Kysely } from 'kysely';
import type { ConsumerOptions, EventTransport, Subscription } from '@shop/events';
import { Counter, Gauge, type Logger, type Registry } from '@shop/observability';
import { createConsumerMetrics, startConsumer, type EventHandlers } from './consumer.js';
import { countUnpublished, startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './relay.js';
import { startRetention, type Retention, type RetentionOptions } from './retention.js';
import type { OutboxTables } from './tables.js';
import type { CommittedEvents } from './unit-of-work.js';

/** A durable consumer of the service; `concurrency` overrides the service-wide one. Ordered per aggregate (see startConsumer). */
export interface ConsumerDefinition extends Omit<ConsumerOptions, 'handle' | 'maxDeliver' | 'backoffMs' | 'orderingKey' | 'onDeadLetter'> {
  handlers: EventHandlers;
}

export interface MessagingOptions {
  db: Kysely<OutboxTables>;
  transport: EventTransport;
  logger: Logger;
  /** The service's registry: outbox and consumer series are added to it. */
  metrics: Registry;
  /** Built once the relay exists, so handlers can wake it after they write events. */
  consumers: (notifyOutbox: CommittedEvents) => ConsumerDefinition[];
  relay?: Pick<OutboxRelayOptions, 'pollIntervalMs' | 'batchSize' | 'leaseMs' | 'maxBackoffMs'>;
  redelivery?: Pick<ConsumerOptions, 'maxDeliver' | 'backoffMs'>;
  /** Deliveries each consumer handles at once, unless its definition says otherwise (default: the transport's, 16). */
  concurrency?: number;
  /** How long published outbox rows and inbox records are kept, and how often they are pruned; DEFAULT_RETENTION (7 days, hourly) where not given. */
  retention?: Partial<Pick<RetentionOptions, 'retainForMs' | 'intervalMs'>>;
}

export const DEFAULT_RETENTION: Pick<RetentionOptions, 'retainForMs' | 'intervalMs'> = { retainForMs: 7 * 24 * 3_600_000, intervalMs: 3_600_000 };

/** A service's event plumbing: its outbox relay and its durable consumers. */
export interface Messaging {
  /** Hands committed events to the relay, which publishes them at once (createOutbox calls it). */
  notifyOutbox: CommittedEvents;
  /** Resolves when every outbox row written so far is published (tests). */
  drainOutbox(timeoutMs?: number): Promise<void>;
  /** Stops publishing (rows stay in the outbox), as a crashed relay would (tests). */
  stopRelay(): Promise<void>;
  /** Starts a fresh relay after stopRelay. */
  startRelay(): void;
  /** Rejects when the event broker does not answer (for /ready). */
  assertHealthy(): Promise<void>;
  /** Deletes published outbox rows and inbox records past their retention now (the job does it periodically). */
  prune: Retention['prune'];
  stop(): Promise<void>;
}

export async function startMessaging(options: MessagingOptions): Promise<Messaging> {
  const relayLogger = options.logger.child({ component: 'outbox-relay' });
  const published = new Counter({
    name: 'shop_outbox_published_total',
    help: 'Outbox rows published to the event broker and marked published',
    registers: [options.metrics],
  });
  new Gauge({
    name: 'shop_outbox_backlog',
    help: 'Outbox rows not yet published (read at scrape time)',
    registers: [options.metrics],
    async collect() {
      try {
        this.set(await countUnpublished(options.db));
      } catch (error) {
        // A scrape must not fail with the database: the gauge keeps its last value.
        relayLogger.warn({ err: error }, 'could not read the outbox backlog for /metrics');
      }
    },
  });
  const consumerMetrics = createConsumerMetrics(options.metrics);
  const consumerLogger = options.logger.child({ component: 'consumer' });
  const newRelay = () =>
    startOutboxRelay({ db: options.db, transport: options.transport, logger: relayLogger, onPublished: (rows) => published.inc(rows), ...options.relay });
  let relay: OutboxRelay | null = newRelay();
  const notifyOutbox: CommittedEvents = (events) => relay?.publishCommitted(events);
  const retention = startRetention({ db: options.db, logger: relayLogger, ...DEFAULT_RETENTION, ...options.retention });
  const subscriptions: Subscription[] = [];
  try {
    for (const definition of options.consumers(notifyOutbox)) {
      const concurrency = definition.concurrency ?? options.concurrency;
      subscriptions.push(
        await startConsumer(options.transport, {
          ...definition,
          ...options.redelivery,
          ...(concurrency === undefined ? {} : { concurrency }),
          metrics: consumerMetrics,
          logger: consumerLogger,
        }),
      );
    }
  } catch (error) {
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await relay.stop();
    await retention.stop();
    throw error;
  }
  return {
    notifyOutbox,
    drainOutbox: async (timeoutMs) => {
      if (!relay) throw new Error('the outbox relay is stopped');
      await relay.drain(timeoutMs);
    },
    async stopRelay() {
      const stopping = relay;
      relay = null;
      await stopping?.stop();
    },
    startRelay() {
      relay ??= newRelay();
    },
    async assertHealthy() {
      if (!(await options.transport.isHealthy())) throw new Error(`the event broker (${options.transport.kind}) does not answer`);
    },
    prune: (now) => retention.prune(now),
    async stop() {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      await relay?.stop();
      relay = null;
      await retention.stop();
    },
  };
}
