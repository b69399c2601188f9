import {
  decodeEvent,
  type ConsumerOptions,
  type Delivery,
  type DomainEvent,
  type DomainEventOf,
  type EventTransport,
  type EventType,
  type Subscription,
} from '@shop/events';
import { Counter, runForEvent, type Logger, type Registry } from '@shop/observability';
import { isDatabaseUnavailable } from '@shop/database';

/** What a service does with each event type it cares about; other types on the subject are acknowledged and ignored. */
export type EventHandlers = { [T in EventType]?: (event: DomainEventOf<T>, delivery: Delivery) => Promise<void> };

/** The consumer series of docs/observability.md, registered once per service registry. */
export interface ConsumerMetrics {
  handled: Counter<'durable' | 'type' | 'outcome'>;
  redeliveries: Counter<'durable'>;
  deadLettered: Counter<'durable' | 'reason'>;
}

export function createConsumerMetrics(registry: Registry): ConsumerMetrics {
  const registers = [registry];
  return {
    handled: new Counter({
      name: 'shop_events_handled_total',
      help: 'Event deliveries handled, by durable consumer, event type and outcome (failed ones are redelivered or dead-lettered)',
      labelNames: ['durable', 'type', 'outcome'],
      registers,
    }),
    redeliveries: new Counter({
      name: 'shop_event_redeliveries_total',
      help: 'Deliveries of an event after its first (a handler failed, or the consumer stopped mid-delivery)',
      labelNames: ['durable'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'shop_events_dead_lettered_total',
      help: 'Events moved to dlq.<durable>: poison (can never be applied) or max_deliveries',
      labelNames: ['durable', 'reason'],
      registers,
    }),
  };
}

/**
 * A durable consumer that validates every delivery against the event
 * catalogue (an invalid one is dead-lettered, never retried) and dispatches
 * it by type. Deliveries of one aggregate (the envelope's `aggregateId`: an
 * order, a product) are handled one after another in arrival order; others
 * run concurrently, up to `concurrency`. Handlers make their effects
 * idempotent with `applyOnce`. Each event is handled under the request id it
 * carries, so its log lines and the events it writes stay tied to the
 * request that started it all.
 */
export function startConsumer(
  transport: EventTransport,
  options: Omit<ConsumerOptions, 'handle' | 'onDeadLetter' | 'orderingKey'> & { handlers: EventHandlers; metrics: ConsumerMetrics; logger: Logger },
): Promise<Subscription> {
  const { handlers, metrics, logger, ...consumer } = options;
  const { durable } = consumer;
  // The transport hands `handle` the Delivery it asked the key of: decode each body once.
  const decoded = new WeakMap<Delivery, Decoded>();
  const decodeOnce = (delivery: Delivery): Decoded => {
    let result = decoded.get(delivery);
    if (!result) {
      try {
        result = { event: decodeEvent(delivery) };
      } catch (error) {
        result = { error };
      }
      decoded.set(delivery, result);
    }
    return result;
  };
  return transport.subscribe({
    ...consumer,
    onDeadLetter: (reason) => metrics.deadLettered.inc({ durable, reason }),
    // An undecodable delivery has no key: it is dead-lettered without waiting for anyone.
    orderingKey: (delivery) => decodeOnce(delivery).event?.aggregateId,
    async handle(delivery) {
      if (delivery.deliveryCount > 1) metrics.redeliveries.inc({ durable });
      const { event, error } = decodeOnce(delivery);
      decoded.delete(delivery);
      if (!event) throw error;
      const handler = handlers[event.type] as ((event: unknown, delivery: Delivery) => Promise<void>) | undefined;
      await runForEvent(event.requestId, async () => {
        try {
          if (handler) {
            await retriedWhileDatabaseAway(
              () => handler(event, delivery),
              (attempt, reason) => {
                if (attempt === 1) logger.warn({ durable, type: event.type, eventId: event.id, reason }, 'database unavailable; retrying the event in place');
              },
            );
          }
          metrics.handled.inc({ durable, type: event.type, outcome: 'success' });
          logger.debug({ durable, type: event.type, eventId: event.id, deliveryCount: delivery.deliveryCount }, 'event handled');
        } catch (error) {
          metrics.handled.inc({ durable, type: event.type, outcome: 'failed' });
          throw error;
        }
      });
    },
  });
}

/**
 * How long a handler is retried in place while its database is unreachable.
 * A database restart or dropped connections are no fault of the event's: the
 * delivery must not use up its bounded redeliveries (and be dead-lettered)
 * on them. Short enough that a stop is not held up long.
 */
const DATABASE_OUTAGE_RETRY_MS = 10_000;

async function retriedWhileDatabaseAway(run: () => Promise<void>, onRetry: (attempt: number, reason: string) => void): Promise<void> {
  const giveUpAt = Date.now() + DATABASE_OUTAGE_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() >= giveUpAt) throw error;
      onRetry(attempt, error instanceof Error ? error.message : String(error));
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt)));
    }
  }
}

/** A delivery's body, decoded once: the event, or why it can never be applied. */
type Decoded = { event: DomainEvent; error?: undefined } | { event?: undefined; error: unknown };
