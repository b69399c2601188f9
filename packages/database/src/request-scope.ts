import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Marks work done while serving a request, so statements can be counted per
 * request apart from background work (outbox relay, consumers, sweepers)
 * running on the same database handle.
 */
const scope = new AsyncLocalStorage<true>();

export function runInRequestScope<T>(work: () => T): T {
  return scope.run(true, work);
}

export function inRequestScope(): boolean {
  return scope.getStore() === true;
}
