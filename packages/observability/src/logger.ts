import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './trace.js';

export type { Logger };

/**
 * JSON logs on stdout; `LOG_LEVEL` picks the level. Every line written while
 * serving a request, or handling an event a request caused, carries its
 * `requestId`.
 */
export function createLogger(name: string, level = process.env['LOG_LEVEL'] ?? 'info', destination?: DestinationStream): Logger {
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
