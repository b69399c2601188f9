import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './trace.js';

export type { Logger };

/** Where loggers created without a destination write: stdout, unless a test runner routed them (routeLogs). */
let defaultDestination: DestinationStream | undefined;

/**
 * Sends every log line of loggers created from now on without a destination
 * to `write` instead of stdout. The test setup routes them through the console,
 * which vitest holds back for tests that pass and shows for those that fail.
 */
export function routeLogs(write: (line: string) => void): void {
  defaultDestination = { write };
}

/**
 * JSON logs on stdout; `LOG_LEVEL` picks the level. Every line written while
 * serving a request, or handling an event a request caused, carries its
 * `requestId`.
 */
export function createLogger(name: string, level = process.env['LOG_LEVEL'] ?? 'info', destination = defaultDestination): Logger {
  const options = {
    name,
    level,
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
