/**
 * The contract between services and the event broker. Two implementations
 * keep the same semantics: NATS JetStream (services and deployment modes) and
 * an in-process transport (embedded mode). Everything above this interface
 * (outbox relay, inbox, saga handlers) is the same in both.
 */

/** Versioned event envelope; `id` is also the broker's deduplication id (Nats-Msg-Id). */
export interface EventEnvelope<TData = unknown> {
  id: string;
  type: string;
  version: number;
  /** ISO-8601 UTC */
  occurredAt: string;
  aggregateId: string;
  /** The request that caused this event, directly or through earlier events (x-request-id). */
  requestId?: string;
  data: TData;
}

/** One stream per publishing service, plus the dead letters. */
export const STREAMS = {
  PRODUCTS: 'products.>',
  ORDERS: 'orders.>',
  PAYMENTS: 'payments.>',
  DEAD_LETTERS: 'dlq.>',
} as const;
export type StreamName = keyof typeof STREAMS;

export interface PublishOptions {
  /**
   * Broker-level deduplication id; defaults to `envelope.id`. Only tests set
   * another one, to simulate a republish the broker cannot deduplicate.
   */
  msgId?: string;
}

/** One delivery of a message to a consumer. */
export interface Delivery {
  subject: string;
  /** The message body as published (JSON of an envelope, or anything a misbehaving publisher sent). */
  data: Uint8Array;
  /** 1 on first delivery. */
  deliveryCount: number;
}

/**
 * Thrown by a handler for a message that can never be applied (undecodable,
 * invalid envelope, unknown type or version): dead-lettered at once, no retry.
 */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

export interface ConsumerOptions {
  /** Durable consumer name, shared by every replica of the consuming service (e.g. "products-from-orders"). */
  durable: string;
  stream: StreamName;
  /** Subject filter inside the stream, e.g. "orders.>" or "orders.placed". */
  filterSubject: string;
  /**
   * Applies one delivery. Resolves: acknowledged. Throws PoisonMessageError:
   * dead-lettered now. Throws anything else: redelivered with backoff, and
   * dead-lettered once `maxDeliver` deliveries have failed.
   */
  handle(delivery: Delivery): Promise<void>;
  /** Deliveries before a failing message is dead-lettered (default 5). */
  maxDeliver?: number;
  /** Delay before each redelivery, ms (default [200, 1000, 3000, 5000]); the last repeats. */
  backoffMs?: number[];
  /** Told after a message was dead-lettered (metrics). */
  onDeadLetter?(cause: DeadLetterCause): void;
  /**
   * Deliveries handled at the same time by this subscription (default 16,
   * at most 1,000); also how many are taken from the broker ahead of the
   * handlers, so a slow consumer never pulls more than that. 1 handles one
   * delivery at a time.
   */
  concurrency?: number;
  /**
   * Deliveries with the same key are handled one after another, in the order
   * they arrived; different keys (and deliveries without one) run
   * concurrently, up to `concurrency`. A failed delivery is redelivered after
   * its backoff, behind later deliveries of its key, as with `concurrency` 1.
   * `handle` receives the very Delivery object this was called with, so what
   * it decoded can be kept for it (in a WeakMap). If it throws, the delivery
   * is handled without a key.
   */
  orderingKey?(delivery: Delivery): string | undefined;
}

/** Why a message was dead-lettered: it can never be applied, or it failed every allowed delivery. */
export type DeadLetterCause = 'poison' | 'max_deliveries';

export interface Subscription {
  /**
   * Stops taking new deliveries, gives back the ones taken but not started
   * (another replica gets them now), and waits for every one in progress.
   */
  stop(): Promise<void>;
}

/** What a watcher is told: each message as it is published, and when some may have been missed. */
export interface WatchListener {
  /** One message published on a matching subject (its decoded envelope). Must not throw. */
  next(subject: string, envelope: EventEnvelope): void;
  /**
   * Messages may have been published without reaching this watcher (the
   * broker connection was lost and is back): re-read whatever is shown.
   */
  gap?(): void;
}

export interface Watch {
  stop(): Promise<void>;
}

/** A dead-lettered message, as published on `dlq.<durable>`. */
export interface DeadLetter {
  durable: string;
  subject: string;
  reason: string;
  deliveryCount: number;
  /** The original body, base64. */
  data: string;
}

export interface EventTransport {
  readonly kind: 'jetstream' | 'in-process';
  /**
   * Resolves once the broker has durably accepted the message (JetStream
   * PubAck). Calls made one after another without awaiting each are stored in
   * call order, so a batch can be sent at once and its acknowledgements
   * awaited together.
   */
  publish(subject: string, envelope: EventEnvelope, options?: PublishOptions): Promise<void>;
  /** Starts a durable, explicit-ack consumer (created if missing). */
  subscribe(options: ConsumerOptions): Promise<Subscription>;
  /**
   * Tells `listener` of every message published on `filterSubject` from now
   * on, in every process that watches: fan-out, at most once, not durable
   * (JetStream: a plain NATS subscription). For live views that re-read their
   * state (a subscription's order status), never for applying effects: that
   * is what durable consumers (`subscribe`) are for.
   */
  watch(filterSubject: string, listener: WatchListener): Promise<Watch>;
  /** True while the broker answers (for /ready). */
  isHealthy(): Promise<boolean>;
  /**
   * Messages the consumers subscribed through this transport have not
   * finished yet: not delivered, or delivered and not acknowledged. 0 once
   * everything published so far is applied (tests and benches wait for it).
   */
  unprocessed(): Promise<number>;
  close(): Promise<void>;
}
