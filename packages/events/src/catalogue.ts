import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { currentRequestId } from '@shop/observability';
import { PoisonMessageError, type Delivery, type EventEnvelope } from './transport.js';

/**
 * Every domain event: its subject, its version and the shape of its data.
 * Publishers build events with `createEvent`; consumers decode deliveries with
 * `decodeEvent`, which validates the envelope and the data. docs/events.md
 * describes each one.
 */
const uuid = z.uuid();
const money = z.object({ amount: z.number().int().nonnegative(), currency: z.string().regex(/^[A-Z]{3}$/) });
const orderLine = z.object({ productId: uuid, quantity: z.number().int().positive(), unitPrice: money });

export const EVENT_CATALOGUE = {
  ProductChanged: {
    subject: 'products.product-changed',
    version: 1,
    data: z.object({ productId: uuid, sku: z.string(), name: z.string(), price: money, active: z.boolean() }),
  },
  StockReserved: {
    subject: 'products.stock-reserved',
    version: 1,
    // Carries what payments needs to charge, so payments depends on this one event only.
    data: z.object({ orderId: uuid, customerId: z.string(), amount: money, paymentToken: z.string() }),
  },
  StockRejected: {
    subject: 'products.stock-rejected',
    version: 1,
    data: z.object({ orderId: uuid, unavailableProductIds: z.array(uuid) }),
  },
  OrderPlaced: {
    subject: 'orders.order-placed',
    version: 1,
    data: z.object({ orderId: uuid, customerId: z.string(), items: z.array(orderLine).min(1), total: money, paymentToken: z.string() }),
  },
  OrderConfirmed: {
    subject: 'orders.order-confirmed',
    version: 1,
    data: z.object({ orderId: uuid }),
  },
  OrderCancelled: {
    subject: 'orders.order-cancelled',
    version: 1,
    data: z.object({
      orderId: uuid,
      reason: z.enum(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'CUSTOMER_CANCELLED', 'TIMED_OUT']),
    }),
  },
  PaymentSucceeded: {
    subject: 'payments.payment-succeeded',
    version: 1,
    data: z.object({ orderId: uuid, paymentId: uuid, amount: money }),
  },
  PaymentFailed: {
    subject: 'payments.payment-failed',
    version: 1,
    data: z.object({ orderId: uuid, paymentId: uuid, failureReason: z.string() }),
  },
  PaymentRefunded: {
    subject: 'payments.payment-refunded',
    version: 1,
    data: z.object({ orderId: uuid, paymentId: uuid, amount: money }),
  },
} as const;

type Catalogue = typeof EVENT_CATALOGUE;
export type EventType = keyof Catalogue;
export type EventData<T extends EventType> = z.infer<Catalogue[T]['data']>;

/** A decoded, validated event: narrow on `type` to get typed `data`. */
export type DomainEvent = { [T in EventType]: EventEnvelope<EventData<T>> & { type: T } }[EventType];
export type DomainEventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** An event ready for the outbox: where it goes and what it says. */
export interface OutgoingEvent {
  subject: string;
  envelope: EventEnvelope;
}

/** Builds an event; it carries the id of the request whose work writes it, when there is one. */
export function createEvent<T extends EventType>(type: T, aggregateId: string, data: EventData<T>, now = new Date()): OutgoingEvent {
  const entry = EVENT_CATALOGUE[type];
  const requestId = currentRequestId();
  return {
    subject: entry.subject,
    envelope: { id: randomUUID(), type, version: entry.version, occurredAt: now.toISOString(), aggregateId, ...(requestId ? { requestId } : {}), data },
  };
}

const envelopeSchema = z.object({
  id: uuid,
  type: z.string(),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
  aggregateId: z.string(),
  // Only for correlation: a missing or odd value never makes an event unusable.
  requestId: z.string().optional().catch(undefined),
  data: z.unknown(),
});

/**
 * Decodes and validates a delivery. Anything that cannot be applied, now or
 * ever (not JSON, not an envelope, unknown type or version, data of the wrong
 * shape, subject not matching the type), throws PoisonMessageError.
 */
export function decodeEvent(delivery: Pick<Delivery, 'subject' | 'data'>): DomainEvent {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(delivery.data));
  } catch {
    throw new PoisonMessageError(`Expected a JSON event envelope on ${delivery.subject}, got undecodable bytes`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new PoisonMessageError(`Expected an event envelope on ${delivery.subject}: ${z.prettifyError(envelope.error)}`);
  }
  const { type, version } = envelope.data;
  if (!Object.hasOwn(EVENT_CATALOGUE, type)) throw new PoisonMessageError(`Unknown event type "${type}" on ${delivery.subject}`);
  const entry = EVENT_CATALOGUE[type as EventType];
  if (entry.subject !== delivery.subject) {
    throw new PoisonMessageError(`Event ${type} belongs on ${entry.subject}, arrived on ${delivery.subject}`);
  }
  if (entry.version !== version) throw new PoisonMessageError(`Event ${type} version ${version} is not supported (expected ${entry.version})`);
  const data = entry.data.safeParse(envelope.data.data);
  if (!data.success) throw new PoisonMessageError(`Event ${type} ${envelope.data.id} has invalid data: ${z.prettifyError(data.error)}`);
  return { ...envelope.data, type, data: data.data } as DomainEvent;
}
