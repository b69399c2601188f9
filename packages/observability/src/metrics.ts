import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import { collectDefaultMetrics, Registry, type Gauge } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per service, so services sharing a process (embedded mode)
 * each serve their own series on their own `/metrics`. Every series carries
 * `service`; Node's process metrics come with it. Metric names are listed in
 * docs/observability.md.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Keeps a label's values bounded when clients choose them (operation names):
 * the first `limit` distinct values are kept, later ones become `other`.
 */
export function boundedLabel(limit = 100): (value: string | null | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (!value) return 'anonymous';
    if (seen.has(value)) return value;
    if (seen.size >= limit) return 'other';
    seen.add(value);
    return value;
  };
}

/** Gauge values of a circuit breaker's state: 0 closed, 1 half-open, 2 open (isolated counts as open). */
export function breakerStateValue(state: CircuitState): number {
  switch (state) {
    case CircuitState.Closed:
      return 0;
    case CircuitState.HalfOpen:
      return 1;
    default:
      return 2;
  }
}

/** Keeps `gauge` (with `labels`) equal to the breaker's state as it changes. */
export function trackBreakerState(breaker: CircuitBreakerPolicy, gauge: Gauge, labels: Record<string, string> = {}): void {
  gauge.set(labels, breakerStateValue(breaker.state));
  breaker.onStateChange((state) => gauge.set(labels, breakerStateValue(state)));
}
