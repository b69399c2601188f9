import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What the work in progress belongs to: a request (served by the router or a
 * subgraph) or the handling of an event. The request id follows the work
 * across services (the `x-request-id` header, then the `requestId` of the
 * events it writes), so one id ties a checkout's log lines and events together.
 */
export interface Trace {
  readonly requestId: string;
  readonly origin: 'request' | 'event' | 'background';
  /** SQL statements executed so far in this trace (counted by the database layer). */
  sqlStatements: number;
}

const storage = new AsyncLocalStorage<Trace>();

export const REQUEST_ID_HEADER = 'x-request-id';

// Anything else a client sends is replaced: ids end up in logs and headers.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The client's request id when it is a sane token, a new UUID otherwise. */
export function acceptRequestId(given: string | undefined | null): string {
  return given && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Runs `work` as part of serving the request `requestId`. */
export function runInRequest<T>(requestId: string, work: (trace: Trace) => T): T {
  const trace: Trace = { requestId, origin: 'request', sqlStatements: 0 };
  return storage.run(trace, () => work(trace));
}

/** Runs `work` as the handling of an event, under the id of the request that caused it (a new one if none). */
export function runForEvent<T>(requestId: string | undefined, work: () => T): T {
  return storage.run({ requestId: acceptRequestId(requestId), origin: 'event', sqlStatements: 0 }, work);
}

/**
 * Runs `work` as background work started by the current request or event (the
 * outbox relay publishing what it committed, say): its log lines keep the
 * request id, but its SQL statements are not counted as the request's.
 */
export function runInBackground<T>(work: () => T): T {
  return storage.run({ requestId: currentRequestId() ?? randomUUID(), origin: 'background', sqlStatements: 0 }, work);
}

export function currentTrace(): Trace | undefined {
  return storage.getStore();
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
