import type { IncomingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Client, Pool, type Dispatcher } from 'undici';
import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll, isBrokenCircuitError } from 'cockatiel';
import { Counter, Gauge, Histogram, trackBreakerState, type Logger, type Registry } from '@shop/observability';
import { headerValue } from '@shop/graphql';
import type { SubgraphResilience } from './settings.js';

export { DEFAULT_SUBGRAPH_RESILIENCE, type SubgraphResilience } from './settings.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse['headers'];

/** Keep-alive connections per subgraph: at most this many calls in flight to one subgraph, the rest queue. */
export const SUBGRAPH_MAX_SOCKETS = 64;

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
  /** What the gateway's data source calls the subgraph with (a fetch-shaped call, the whole answer in its `body`). */
  fetch: (url: string, init?: FetcherRequestInit) => Promise<SubgraphResponse>;
  /**
   * Why a call made now would not be sent to the subgraph (its breaker would
   * refuse it or hold it), or undefined when it would be sent. `/ready` reads it.
   */
  breakerRefusal(): string | undefined;
  /** Closes the kept-alive connections to the subgraph (the router is stopping). */
  close(): void;
}

/**
 * How the router calls one subgraph: each call has a timeout covering the
 * whole answer (headers and body), and a circuit breaker per subgraph stops
 * calling a subgraph that keeps failing, so its callers get an error at once
 * instead of waiting for the timeout, and the rest of a query still answers.
 * After `breakerHalfOpenAfterMs` one call is let through; its success closes
 * the breaker.
 *
 * Calls go through a keep-alive connection pool of the subgraph's own
 * (undici's `Pool`, driven by its `dispatch` API), not `fetch`: fetch costs the
 * router a web stream, an AbortSignal and a DOMException per call, and the
 * gateway only needs the status, the headers and the body, which it parses
 * once (`SubgraphResponse`). `node:http`'s agent, used before, cost the router
 * about 8 % more CPU per request (its request objects, and a system call per
 * reused socket to check it for unread data).
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
  const transport = createTransport(options.timeoutMs);

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

  const fetchThroughBreaker: SubgraphFetcher['fetch'] = async (url, init) => {
    const startedAt = performance.now();
    let outcome = 'success';
    try {
      // Timeouts, network errors and 5xx are thrown inside the breaker: they are its failures.
      const response = await breaker.execute(() => transport.send(url, init));
      // A 4xx is the router's fault (a wrong secret, say), not the subgraph's health: not a breaker failure.
      if (!response.ok) outcome = 'error';
      return response;
    } catch (error) {
      outcome = isBrokenCircuitError(error) ? 'rejected' : error instanceof SubgraphTimeoutError ? 'timeout' : 'error';
      throw error;
    } finally {
      metrics.requests.inc({ subgraph, outcome });
      if (outcome !== 'rejected') metrics.duration.observe({ subgraph }, (performance.now() - startedAt) / 1000);
    }
  };
  return { fetch: fetchThroughBreaker, breakerRefusal, close: transport.close };
}

interface Target {
  url: string;
  pool: Pool;
  origin: string;
  path: string;
}

/**
 * One subgraph's connections: an undici `Pool` per origin (the URL is normally
 * the same on every call; it is parsed once), and `send`, which resolves once
 * the whole answer is in, or rejects with SubgraphTimeoutError when headers
 * and body took longer than `timeoutMs` together (a plain timer that aborts
 * the call: no AbortController per call), with the network error, or with
 * SubgraphHttpError for a 5xx (its body read first, so the connection is
 * reused). The answer arrives through the pool's `dispatch` handler, chunk by
 * chunk: no stream, no promise per chunk.
 */
function createTransport(timeoutMs: number) {
  const pools = new Map<string, Pool>();
  let last: Target | undefined;

  function targetFor(url: string): Target {
    if (last?.url === url) return last;
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`A subgraph URL must be http or https, got ${parsed.protocol}`);
    let pool = pools.get(parsed.origin);
    if (!pool) {
      // Idle connections are closed before the server's Keep-Alive timeout (undici reads its hint).
      pool = new Pool(parsed.origin, { connections: SUBGRAPH_MAX_SOCKETS, headersTimeout: 0, bodyTimeout: 0 });
      pools.set(parsed.origin, pool);
    }
    last = { url, pool, origin: parsed.origin, path: parsed.pathname + parsed.search };
    return last;
  }

  function send(url: string, init: FetcherRequestInit = {}): Promise<SubgraphResponse> {
    const target = targetFor(url);
    return new Promise((resolve, reject) => {
      const signal = init.signal as AbortSignal | undefined;
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      const settle = (error: Error | undefined, response?: SubgraphResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response!);
      };
      // Only an unfinished call is aborted (with its connection): a finished one's connection is back in the pool.
      const abandon = (error: Error) => {
        if (settled) return;
        settle(error);
        controller?.abort(error);
      };
      const timer = setTimeout(() => abandon(new SubgraphTimeoutError(timeoutMs)), timeoutMs);
      // The gateway passes no signal; another caller's is honoured.
      const onAbort = () => abandon(new Error('the call was aborted'));

      // The first attempt takes a connection from the pool; a retry goes on a new connection of its own.
      const start = (isRetry: boolean) => {
        const dispatcher: Dispatcher = isRetry ? new Client(target.origin) : target.pool;
        let status = 0;
        let statusText = '';
        let headers: IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        dispatcher.dispatch(
          { origin: target.origin, path: target.path, method: (init.method ?? 'GET') as Dispatcher.HttpMethod, headers: init.headers as Record<string, string>, body: init.body },
          {
            onRequestStart(started) {
              controller = started;
              if (settled) started.abort(new Error('the call was abandoned'));
            },
            onResponseStart(_controller, statusCode, responseHeaders, statusMessage) {
              status = statusCode;
              headers = responseHeaders;
              statusText = statusMessage ?? '';
            },
            onResponseData(_controller, chunk) {
              chunks.push(chunk);
            },
            onResponseEnd() {
              if (status >= 500) return settle(new SubgraphHttpError(status));
              let bytes: Buffer;
              try {
                bytes = decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), headerValue(headers['content-encoding']));
              } catch (error) {
                return settle(error as Error);
              }
              settle(undefined, new SubgraphResponse(url, status, statusText, headers, bytes));
            },
            onResponseError(_controller, error: Error & { code?: string; socket?: { bytesRead?: number } }) {
              // A kept-alive connection the subgraph closed as idle just as this call took it: the
              // request never reached the subgraph (no answer began on a connection that had carried
              // answers before), so it is sent once more, on a connection of its own (the pool's
              // other idle ones may have been closed too).
              if (!isRetry && !settled && status === 0 && (error.socket?.bytesRead ?? 0) > 0 && RESET_CODES.has(error.code ?? '')) {
                start(true);
                return;
              }
              settle(error);
            },
          },
        );
        // A retry's own connection closes once its one call has ended (the call's outcome is reported above).
        if (isRetry) dispatcher.close().catch(() => undefined);
      };
      start(false);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    send,
    close(): void {
      for (const pool of pools.values()) void pool.destroy();
    },
  };
}

/** Errors of a connection closed under a call: undici's "other side closed", a reset, a broken pipe. */
const RESET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** A header's value as fetch's `Headers` gives it: repeated values joined by ", ". */

/** The router asks for no compression; a proxy in between might still compress. */
function decode(bytes: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return bytes;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(bytes);
    case 'deflate':
      return zlib.inflateSync(bytes);
    case 'br':
      return zlib.brotliDecompressSync(bytes);
    default:
      throw new Error(`the subgraph answered with an unsupported content-encoding: ${encoding}`);
  }
}

/**
 * A subgraph's whole answer, with what RemoteGraphQLDataSource (@apollo/gateway
 * 2.14) reads of a fetch Response: `ok`, `status`, `statusText`, `url`,
 * `headers.get()` and one `json()` or `text()`. Built from the body's bytes,
 * without web streams; the body can be read more than once.
 */
export class SubgraphResponse implements FetcherResponse {
  readonly redirected = false;
  readonly headers: FetcherHeaders;
  #bodyUsed = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    headers: IncomingHttpHeaders,
    readonly body: Buffer,
  ) {
    this.headers = new SubgraphHeaders(headers);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get bodyUsed(): boolean {
    return this.#bodyUsed;
  }

  text(): Promise<string> {
    this.#bodyUsed = true;
    return Promise.resolve(this.body.toString('utf8'));
  }

  json(): Promise<unknown> {
    this.#bodyUsed = true;
    try {
      return Promise.resolve(JSON.parse(this.body.toString('utf8')));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    this.#bodyUsed = true;
    const copy = new ArrayBuffer(this.body.length);
    new Uint8Array(copy).set(this.body);
    return Promise.resolve(copy);
  }

  clone(): SubgraphResponse {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of this.headers) headers[name] = value;
    return new SubgraphResponse(this.url, this.status, this.statusText, headers, this.body);
  }
}

/** Response headers as a fetch `Headers` reads them: case-insensitive names, repeated values joined by ", ". */
class SubgraphHeaders implements FetcherHeaders {
  readonly #values: Map<string, string>;

  constructor(raw: IncomingHttpHeaders) {
    this.#values = new Map();
    for (const name in raw) {
      const joined = headerValue(raw[name]);
      if (joined !== undefined) this.#values.set(name, joined);
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    this.#values.set(name.toLowerCase(), value);
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const existing = this.#values.get(key);
    this.#values.set(key, existing === undefined ? value : `${existing}, ${value}`);
  }

  delete(name: string): void {
    this.#values.delete(name.toLowerCase());
  }

  entries(): IterableIterator<[string, string]> {
    return [...this.#values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))[Symbol.iterator]();
  }

  keys(): IterableIterator<string> {
    return [...this.entries()].map(([name]) => name)[Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return [...this.entries()].map(([, value]) => value)[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
