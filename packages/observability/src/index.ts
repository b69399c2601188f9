export { createLogger, routeLogs, type Logger } from './logger.js';
export {
  boundedLabel,
  breakerStateValue,
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  Registry,
  trackBreakerState,
} from './metrics.js';
export { acceptRequestId, currentRequestId, currentTrace, REQUEST_ID_HEADER, runForEvent, runInBackground, runInRequest, type Trace } from './trace.js';
