import {
  decodeEvent,
  type ConsumerOptions,
  type Delivery,
  type DomainEventOf,
  type EventTransport,
  type EventType,
  type Subscription,
} from '@shop/events';

/** What a service does with each event type it cares about; other types on the subject are acknowledged and ignored. */
export type EventHandlers = { [T in EventType]?: (event: DomainEventOf<T>, delivery: Delivery) => Promise<void> };

/**
 * A durable consumer that validates every delivery against the event
 * catalogue (an invalid one is dead-lettered, never retried) and dispatches
 * it by type. Handlers make their effects idempotent with `applyOnce`.
 */
export function startConsumer(
  transport: EventTransport,
  options: Omit<ConsumerOptions, 'handle'> & { handlers: EventHandlers },
): Promise<Subscription> {
  const { handlers, ...consumer } = options;
  return transport.subscribe({
    ...consumer,
    async handle(delivery) {
      const event = decodeEvent(delivery);
      const handler = handlers[event.type] as ((event: unknown, delivery: Delivery) => Promise<void>) | undefined;
      if (handler) await handler(event, delivery);
    },
  });
}
