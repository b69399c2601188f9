import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleAll,
  isBrokenCircuitError,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { Counter, Gauge, Histogram, trackBreakerState, type Logger, type Registry } from '@shop/observability';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

export interface SubgraphResilience {
  /** Longest wait for a subgraph's whole answer, in ms. */
  timeoutMs: number;
  /** Failed calls in a row (network error, timeout, HTTP 5xx) that open a subgraph's breaker. */
  breakerFailures: number;
  /** How long an open breaker refuses calls before letting a test call through. */
  breakerHalfOpenAfterMs: number;
}

// A short break: one trial call every 2 s costs nothing, and a subgraph that came back
// (a restart takes a few seconds) is used again within 2 s rather than 10.
export const DEFAULT_SUBGRAPH_RESILIENCE: SubgraphResilience = { timeoutMs: 10_000, breakerFailures: 5, breakerHalfOpenAfterMs: 2_000 };

/** No whole answer within the timeout. */
export class SubgraphTimeoutError extends Error {
  override readonly name = 'SubgraphTimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** A subgraph answered 5xx: counts as a failure for its breaker. */
export class SubgraphHttpError extends Error {
  override readonly name = 'SubgraphHttpError';
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** The router's per-subgraph series (docs/observability.md), shared by every subgraph's fetcher. */
export function createSubgraphMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'shop_router_subgraph_requests_total',
      help: 'Router calls to subgraphs, by subgraph and outcome (rejected: the breaker was open)',
      labelNames: ['subgraph', 'outcome'],
      registers,
    }),
    duration: new Histogram({
      name: 'shop_router_subgraph_request_duration_seconds',
      help: 'Time for a subgraph to answer the router, by subgraph',
      labelNames: ['subgraph'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    breakerState: new Gauge({
      name: 'shop_router_subgraph_breaker_state',
      help: 'Circuit breaker towards each subgraph: 0 closed, 1 half-open, 2 open',
      labelNames: ['subgraph'],
      registers,
    }),
  };
}
export type SubgraphMetrics = ReturnType<typeof createSubgraphMetrics>;

export interface SubgraphFetcher {
  /** What the gateway's data source calls the subgraph with. */
  fetch: Fetcher;
  /**
   * Why a call made now would not be sent to the subgraph (its breaker would
   * refuse it or hold it), or undefined when it would be sent. `/ready` reads it.
   */
  breakerRefusal(): string | undefined;
}

/**
 * How the router calls one subgraph: each call has a timeout covering the
 * whole answer (headers and body), and a circuit breaker per subgraph stops
 * calling a subgraph that keeps failing, so its callers get an error at once
 * instead of waiting for the timeout, and the rest of a query still answers.
 * After `breakerHalfOpenAfterMs` one call is let through; its success closes
 * the breaker.
 */
export function createSubgraphFetcher(
  subgraph: string,
  options: SubgraphResilience & { metrics: SubgraphMetrics; logger: Logger },
): SubgraphFetcher {
  const { metrics, logger } = options;
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: options.breakerHalfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerFailures),
  });
  /** When the breaker last opened; with a constant halfOpenAfter, calls are refused until openedAt + breakerHalfOpenAfterMs. */
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
    logger.warn({ subgraph, halfOpenAfterMs: options.breakerHalfOpenAfterMs }, 'subgraph circuit breaker opened');
  });
  breaker.onReset(() => logger.info({ subgraph }, 'subgraph circuit breaker closed'));
  trackBreakerState(breaker, metrics.breakerState, { subgraph });
  const policy = wrap(breaker, timeout(options.timeoutMs, TimeoutStrategy.Cooperative));

  /**
   * The breaker's answer to "would a call made now reach the subgraph?":
   * - closed: yes.
   * - open, within its break: no, refused at once.
   * - open, break over: yes. cockatiel stays "open" until a call arrives and
   *   lets that call through as the trial. Counting this as refusing would
   *   deadlock: a router taken out of its load balancer while not ready gets
   *   no call, so its breaker would never close and it would never be ready again.
   * - half-open: no. The trial call is in flight and every other call waits
   *   for its outcome, then is refused if it failed: until it is known,
   *   reporting ready would promise calls that may still fail. It lasts at
   *   most one call's timeout, so it never holds readiness down for long.
   */
  function breakerRefusal(): string | undefined {
    switch (breaker.state) {
      case CircuitState.Closed:
        return undefined;
      case CircuitState.Open: {
        const refusingForMs = openedAt + options.breakerHalfOpenAfterMs - Date.now();
        return refusingForMs > 0 ? `circuit breaker open, calls refused for another ${refusingForMs} ms` : undefined;
      }
      case CircuitState.HalfOpen:
        return 'circuit breaker half-open, waiting for its trial call to succeed';
      case CircuitState.Isolated:
        return 'circuit breaker isolated, calls refused until it is released';
    }
  }

  const fetchThroughBreaker: Fetcher = async (url, init) => {
    const startedAt = performance.now();
    let outcome = 'success';
    try {
      const response = await policy.execute(async ({ signal }) => {
        try {
          const answer = await fetch(url, { ...init, signal } as RequestInit);
          // The body is read under the same timeout: a subgraph that stalls mid-answer times out too.
          const body = await answer.text();
          if (answer.status >= 500) throw new SubgraphHttpError(answer.status);
          return new Response(body, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
        } catch (error) {
          if (signal.aborted) throw new SubgraphTimeoutError(options.timeoutMs);
          throw error;
        }
        // A signal of its own per call: without one, cockatiel hangs every
        // concurrent call's listener on one shared signal (MaxListenersExceededWarning).
      }, new AbortController().signal);
      // A 4xx is the router's fault (a wrong secret, say), not the subgraph's health: not a breaker failure.
      if (!response.ok) outcome = 'error';
      return response;
    } catch (error) {
      outcome = isBrokenCircuitError(error) ? 'rejected' : error instanceof SubgraphTimeoutError || error instanceof TaskCancelledError ? 'timeout' : 'error';
      throw error;
    } finally {
      metrics.requests.inc({ subgraph, outcome });
      if (outcome !== 'rejected') metrics.duration.observe({ subgraph }, (performance.now() - startedAt) / 1000);
    }
  };
  return { fetch: fetchThroughBreaker, breakerRefusal };
}
