/**
 * What both transports decide the same way: option defaults and validation,
 * what happens after a handler outcome, and the dead-letter record.
 */
import { assertDurableName, assertFilterSubject, filterWithin } from './subjects.js';
import { PoisonMessageError, STREAMS, type ConsumerOptions, type DeadLetter, type DeadLetterCause, type Delivery } from './transport.js';

export const DEFAULT_MAX_DELIVER = 5;
export const DEFAULT_BACKOFF_MS: readonly number[] = [200, 1000, 3000, 5000];
/** Deliveries handled at once per subscription, unless a consumer says otherwise. */
export const DEFAULT_CONCURRENCY = 16;
/** Upper bound for `concurrency` (JetStream's default max_ack_pending per consumer is 1,000). */
export const MAX_CONCURRENCY = 1_000;

/** pino-compatible subset; a pino Logger can be passed as is. */
export interface EventLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Without a logger, problems still reach stderr; routine messages are dropped. */
export const fallbackLogger: EventLogger = {
  info: () => undefined,
  warn: (obj, msg) => console.warn(msg ?? '', obj),
  error: (obj, msg) => console.error(msg ?? '', obj),
};

export interface ResolvedConsumerOptions extends ConsumerOptions {
  maxDeliver: number;
  backoffMs: number[];
  concurrency: number;
}

export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  assertDurableName(options.durable);
  if (!Object.hasOwn(STREAMS, options.stream)) {
    throw new Error(`expected stream to be one of ${Object.keys(STREAMS).join(', ')}, got "${String(options.stream)}"`);
  }
  assertFilterSubject(options.filterSubject);
  const streamSubjects = STREAMS[options.stream];
  if (!filterWithin(options.filterSubject, streamSubjects)) {
    throw new Error(
      `filterSubject "${options.filterSubject}" is outside stream ${options.stream} (subjects "${streamSubjects}")`,
    );
  }
  const maxDeliver = options.maxDeliver ?? DEFAULT_MAX_DELIVER;
  if (!Number.isInteger(maxDeliver) || maxDeliver < 1) {
    throw new Error(`expected maxDeliver to be an integer >= 1, got ${maxDeliver}`);
  }
  const backoffMs = options.backoffMs ?? [...DEFAULT_BACKOFF_MS];
  if (backoffMs.length === 0 || backoffMs.some((ms) => !Number.isFinite(ms) || ms < 0)) {
    throw new Error(`expected backoffMs to be a non-empty list of delays >= 0, got [${backoffMs.join(', ')}]`);
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new Error(`expected concurrency to be an integer from 1 to ${MAX_CONCURRENCY}, got ${concurrency}`);
  }
  if (options.orderingKey !== undefined && typeof options.orderingKey !== 'function') {
    throw new Error(`expected orderingKey to be a function, got ${typeof options.orderingKey}`);
  }
  return { ...options, maxDeliver, backoffMs: [...backoffMs], concurrency };
}

/** The delivery's ordering key; a throwing `orderingKey` is logged and gives none. */
export function orderingKeyOf(options: ResolvedConsumerOptions, delivery: Delivery, logger: EventLogger): string | undefined {
  if (!options.orderingKey) return undefined;
  try {
    return options.orderingKey(delivery) ?? undefined;
  } catch (error) {
    logger.warn(
      { durable: options.durable, subject: delivery.subject, err: error },
      'orderingKey threw; handling the delivery without a key',
    );
    return undefined;
  }
}

/** Delay before redelivering after failed delivery number `deliveryCount` (1-based); the last value repeats. */
export function redeliveryDelay(backoffMs: readonly number[], deliveryCount: number): number {
  const index = Math.min(Math.max(deliveryCount - 1, 0), backoffMs.length - 1);
  return backoffMs[index] ?? 0;
}

export type Outcome =
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs: number; reason: string }
  | { kind: 'dead-letter'; reason: string; cause: DeadLetterCause };

/** Runs the handler on one delivery and decides what to tell the broker. */
export async function runHandler(options: ResolvedConsumerOptions, delivery: Delivery): Promise<Outcome> {
  try {
    await options.handle(delivery);
    return { kind: 'ack' };
  } catch (error) {
    const reason = describeError(error);
    if (error instanceof PoisonMessageError) return { kind: 'dead-letter', reason, cause: 'poison' };
    if (delivery.deliveryCount >= options.maxDeliver) {
      return {
        kind: 'dead-letter',
        reason: `failed ${delivery.deliveryCount} of ${options.maxDeliver} deliveries; last: ${reason}`,
        cause: 'max_deliveries',
      };
    }
    return { kind: 'retry', delayMs: redeliveryDelay(options.backoffMs, delivery.deliveryCount), reason };
  }
}

export function deadLetterOf(durable: string, delivery: Delivery, reason: string): DeadLetter {
  return {
    durable,
    subject: delivery.subject,
    reason,
    deliveryCount: delivery.deliveryCount,
    data: Buffer.from(delivery.data).toString('base64'),
  };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `non-Error thrown: ${String(error)}`;
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
