import { randomUUID } from 'node:crypto';
import type { EventLogger } from '../consumer-policy.js';
import { isReachable, waitFor } from '../testing/wait.js';
import type { DeadLetter, Delivery, EventEnvelope } from '../transport.js';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** Short random token for subjects and durable names, so runs never share consumers. */
export function randomToken(): string {
  return randomUUID().replaceAll('-', '').slice(0, 10);
}

export function envelope(data: Record<string, unknown> = {}, aggregateId: string = randomUUID()): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'test.happened',
    version: 1,
    occurredAt: new Date().toISOString(),
    aggregateId,
    data,
  };
}

/** An `orderingKey` for test envelopes: their aggregateId. */
export function aggregateKey(delivery: Delivery): string {
  return (JSON.parse(new TextDecoder().decode(delivery.data)) as EventEnvelope).aggregateId;
}

/** A promise and the function that resolves it. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Waits for `promise`, or `ms` at most (so a broken implementation fails an assertion instead of hanging). */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}


/** Resolves with how `promise` settled, or rejects if it is still pending after `ms`. */
export async function settlesWithin<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} was still pending after ${ms} ms`)), ms);
  });
  const settled = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  try {
    return await Promise.race([settled, pending]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Received {
  id: string;
  subject: string;
  deliveryCount: number;
  envelope: EventEnvelope;
}

/** A handler that records every delivery; `behaviour` may throw to simulate failures. */
export function recorder(behaviour?: (envelope: EventEnvelope, delivery: Delivery) => void | Promise<void>) {
  const received: Received[] = [];
  return {
    received,
    async handle(delivery: Delivery): Promise<void> {
      const parsed = JSON.parse(new TextDecoder().decode(delivery.data)) as EventEnvelope;
      received.push({ id: parsed.id, subject: delivery.subject, deliveryCount: delivery.deliveryCount, envelope: parsed });
      await behaviour?.(parsed, delivery);
    },
    /** deliveryCount of every delivery of the envelope with this id, in order. */
    deliveriesOf(id: string): number[] {
      return received.filter((r) => r.id === id).map((r) => r.deliveryCount);
    },
    has(id: string): boolean {
      return received.some((r) => r.id === id);
    },
  };
}

/** Collects DeadLetters delivered on a `dlq.<durable>` subscription. */
export function deadLetterRecorder() {
  const letters: DeadLetter[] = [];
  return {
    letters,
    handle(delivery: Delivery): Promise<void> {
      letters.push(JSON.parse(new TextDecoder().decode(delivery.data)) as DeadLetter);
      return Promise.resolve();
    },
  };
}

export function decodeDeadLetterData(letter: DeadLetter): EventEnvelope {
  return JSON.parse(Buffer.from(letter.data, 'base64').toString('utf8')) as EventEnvelope;
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

/** Keeps log lines in memory (set EVENTS_TEST_LOG=1 to also print them). */
export function memoryLogger(): EventLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const print = process.env['EVENTS_TEST_LOG'] === '1';
  const log = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, obj, msg });
    if (print) console.log(level, msg, obj);
  };
  return { entries, info: log('info'), warn: log('warn'), error: log('error') };
}


export { isReachable, waitFor };
