/**
 * The resilient client the payments service uses to reach the card processor.
 *
 * Every call runs through one cockatiel policy, outermost first:
 *   retry (exponential backoff with decorrelated jitter)
 *     → circuit breaker (consecutive failures, shared by all calls of this client)
 *       → timeout (cooperative: aborts the fetch through its AbortSignal)
 * so each HTTP attempt has its own timeout, every failed attempt counts
 * towards the breaker, and an open breaker stops the retries at once.
 *
 * Only transient failures are retried (and counted by the breaker): network
 * errors, timeouts, HTTP 5xx and 429. Every request carries the caller's
 * idempotency key, so a retry can never charge twice.
 */
import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleType,
  isBrokenCircuitError,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import https from 'node:https';
import { z } from 'zod';
import { Counter, Gauge, trackBreakerState, type Logger, type Registry } from '@shop/observability';

// node:http through getBuiltinModule, as in @shop/runtime's listen(): an ES module import of it loads
// Node's own copy of undici on Node 24 (about 13 MB per process).
const http = process.getBuiltinModule('node:http');

export interface PaymentProviderClientOptions {
  /** Origin of the provider, e.g. http://127.0.0.1:4010 */
  baseUrl: string;
  /** Per HTTP attempt. Default 2000. */
  timeoutMs?: number;
  /** HTTP calls per operation, the first included. Default 4. */
  maxAttempts?: number;
  /** Scale of the first backoff delay. Default 100. */
  initialBackoffMs?: number;
  /** Cap on any backoff delay. Default 2000. */
  maxBackoffMs?: number;
  breaker?: {
    /** How long the breaker stays open before letting one test call through. Default 5000. */
    halfOpenAfterMs?: number;
    /** Failed HTTP attempts in a row (not operations) that open the breaker. Default 5. */
    consecutiveFailures?: number;
  };
  logger: Logger;
  /** Where `shop_payment_provider_*` series go (the payments service's registry). */
  metrics?: Registry;
}

export interface ChargeRequest {
  /** One key per payment intent (e.g. derived from the order id); reused on every retry and redelivery. */
  idempotencyKey: string;
  /** Minor units (cents). */
  amount: number;
  /** ISO 4217, upper case: 'EUR'. */
  currency: string;
  token: string;
  /** The order id. */
  reference: string;
}

export type ChargeResult =
  | { outcome: 'succeeded'; chargeId: string; attempts: number }
  | { outcome: 'declined'; code: string; attempts: number };

export interface RefundRequest {
  idempotencyKey: string;
  chargeId: string;
}

export type RefundResult =
  | { refundId: string; alreadyRefunded: false; attempts: number }
  | { refundId: null; alreadyRefunded: true; attempts: number };

export interface ChargeSummary {
  id: string;
  status: 'succeeded' | 'refunded';
  amount: number;
  currency: string;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface PaymentProviderClient {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** The charges made for `reference` (an order id): reconciles a charge whose answer was lost. */
  findCharges(reference: string): Promise<{ charges: ChargeSummary[]; attempts: number }>;
  /**
   * cockatiel moves an open breaker to half-open lazily, on the first call
   * after `halfOpenAfterMs`: until a call comes, this still says 'open'.
   */
  breakerState(): BreakerState;
}

/**
 * The provider could not be reached for a final answer: retries exhausted
 * (network errors, timeouts, 5xx, 429) or the circuit breaker is open. The
 * outcome is unknown only in the sense that a retry later, with the same
 * idempotency key, is safe: leave the message for redelivery.
 */
export class PaymentProviderUnavailableError extends Error {
  override readonly name = 'PaymentProviderUnavailableError';
  /** HTTP calls made by this operation (0 when the breaker was already open). */
  readonly attempts: number;

  constructor(message: string, attempts: number, cause: unknown) {
    super(message, { cause });
    this.attempts = attempts;
  }
}

/**
 * The provider answered, and the answer will not change on retry: a 4xx
 * other than 402/429 (bad request, idempotency key reused with another body,
 * unknown charge…) or a response this client does not understand.
 */
export class PaymentProviderRequestError extends Error {
  override readonly name = 'PaymentProviderRequestError';
  readonly status: number;
  /** The response body as received. */
  readonly body: string;
  /** `error` field of a JSON error body, e.g. 'idempotency_key_reused'. */
  readonly code: string | undefined;

  constructor(operation: string, status: number, body: string, detail?: string) {
    super(`payment provider ${operation} failed with HTTP ${status}${detail ? ` (${detail})` : ''}: ${body}`);
    this.status = status;
    this.body = body;
    const parsed = errorBody.safeParse(parseJson(body));
    this.code = parsed.success ? parsed.data.error : undefined;
  }
}

/** A failure worth retrying; internal, surfaced as PaymentProviderUnavailableError. */
class TransientProviderError extends Error {
  override readonly name = 'TransientProviderError';
  readonly kind: 'network' | 'timeout' | 'http';
  readonly status: number | undefined;

  constructor(kind: 'network' | 'timeout' | 'http', message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
  }
}

const errorBody = z.object({ error: z.string() });
const chargeSucceeded = z.object({ id: z.string().startsWith('ch_'), status: z.literal('succeeded') });
const chargeDeclined = z.object({ status: z.literal('failed'), code: z.string() });
const chargeList = z.object({
  data: z.array(z.object({ id: z.string(), status: z.enum(['succeeded', 'refunded']), amount: z.number(), currency: z.string() })),
});
const refundSucceeded = z.object({ id: z.string().startsWith('re_'), status: z.literal('succeeded') });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function positive(name: string, value: number, { integer = false, allowZero = false } = {}): number {
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`payment provider client: ${name} must be a ${integer ? 'whole ' : ''}number ${allowZero ? '>= 0' : '> 0'}, got ${value}`);
  }
  return value;
}

/**
 * Backoff between attempts. cockatiel's ExponentialBackoff jitters by
 * default (its `generator` defaults to `decorrelatedJitterGenerator`, Polly's
 * "DecorrelatedJitterV2"): delays are random around initialDelay·2^n, never
 * above maxDelay.
 */
export function retryBackoff(initialBackoffMs: number, maxBackoffMs: number): ExponentialBackoff<unknown> {
  return new ExponentialBackoff({ initialDelay: initialBackoffMs, maxDelay: maxBackoffMs });
}

interface HttpRequestInit {
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

interface ProviderResponse {
  status: number;
  text: string;
  json: unknown;
}

export function createPaymentProviderClient(options: PaymentProviderClientOptions): PaymentProviderClient {
  const { logger } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 2000);
  const maxAttempts = positive('maxAttempts', options.maxAttempts ?? 4, { integer: true });
  const initialBackoffMs = positive('initialBackoffMs', options.initialBackoffMs ?? 100, { allowZero: true });
  const maxBackoffMs = positive('maxBackoffMs', options.maxBackoffMs ?? 2000, { allowZero: true });
  const halfOpenAfterMs = positive('breaker.halfOpenAfterMs', options.breaker?.halfOpenAfterMs ?? 5000, { allowZero: true });
  const consecutiveFailures = positive('breaker.consecutiveFailures', options.breaker?.consecutiveFailures ?? 5, { integer: true });

  const transient = handleType(TransientProviderError);
  // cockatiel's `maxAttempts` counts RETRIES, not calls: 3 means up to 4 calls.
  const retryPolicy = retry(transient, { maxAttempts: maxAttempts - 1, backoff: retryBackoff(initialBackoffMs, maxBackoffMs) });
  const breakerPolicy = circuitBreaker(transient, {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(consecutiveFailures),
  });
  const timeoutPolicy = timeout(timeoutMs, TimeoutStrategy.Cooperative);
  const policy = wrap(retryPolicy, breakerPolicy, timeoutPolicy);

  const secure = baseUrl.startsWith('https:');
  // Kept-alive connections to the provider; idle ones never keep the process alive.
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 });

  breakerPolicy.onBreak(() => logger.warn({ halfOpenAfterMs }, 'payment provider circuit breaker opened'));
  breakerPolicy.onHalfOpen(() => logger.info('payment provider circuit breaker half-open: sending a test call'));
  breakerPolicy.onReset(() => logger.info('payment provider circuit breaker closed'));
  const calls = new Counter({
    name: 'shop_payment_provider_calls_total',
    help: 'Operations against the card provider (retries included in one), by outcome; rejected: the breaker was open',
    labelNames: ['operation', 'outcome'],
    registers: options.metrics ? [options.metrics] : [],
  });
  if (options.metrics) {
    const breakerGauge = new Gauge({
      name: 'shop_payment_provider_breaker_state',
      help: 'Circuit breaker towards the card provider: 0 closed, 1 half-open, 2 open',
      registers: [options.metrics],
    });
    trackBreakerState(breakerPolicy, breakerGauge);
  }

  /** One HTTP POST attempt. Throws TransientProviderError for anything worth retrying. */
  function post(path: string, idempotencyKey: string, payload: unknown, signal: AbortSignal): Promise<ProviderResponse> {
    return send(path, signal, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(payload),
    });
  }

  async function send(path: string, signal: AbortSignal, init: HttpRequestInit): Promise<ProviderResponse> {
    let status: number;
    let text: string;
    try {
      // Under the attempt's signal until the whole body is read: a provider that stalls mid-body times out too.
      ({ status, text } = await request(`${baseUrl}${path}`, signal, init));
    } catch (error) {
      if (signal.aborted) throw new TransientProviderError('timeout', `no answer within ${timeoutMs} ms`, { cause: error });
      const reason = error instanceof Error ? error.message : String(error);
      throw new TransientProviderError('network', `network error: ${reason}`, { cause: error });
    }
    if (status >= 500 || status === 429) {
      throw new TransientProviderError('http', `HTTP ${status}: ${text}`, { status });
    }
    return { status, text, json: parseJson(text) };
  }

  /**
   * One HTTP exchange over this client's keep-alive connections. node:http
   * rather than fetch: fetch's web streams and per-call machinery cost the
   * payments service more CPU than the rest of a charge.
   */
  function request(url: string, signal: AbortSignal, init: HttpRequestInit): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new Error('aborted before the request was sent'));
        return;
      }
      const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
      const outgoing = (secure ? https : http).request(url, { method: init.method ?? 'GET', headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('end', () => {
          signal.removeEventListener('abort', abort);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      function abort() {
        outgoing.destroy(new Error('aborted'));
      }
      function fail(error: Error) {
        signal.removeEventListener('abort', abort);
        reject(error);
      }
      signal.addEventListener('abort', abort, { once: true });
      outgoing.on('error', fail);
      outgoing.end(init.body);
    });
  }

  /** Runs one operation through the policy, counting the HTTP calls it makes. */
  async function execute<T>(
    operation: 'charge' | 'refund' | 'findCharges',
    idempotencyKey: string,
    attempt: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ result: T; attempts: number }> {
    let attempts = 0;
    try {
      const result = await policy.execute(async ({ signal }) => {
        attempts += 1;
        try {
          return await attempt(signal);
        } catch (error) {
          if (error instanceof TransientProviderError) {
            logger.warn({ operation, idempotencyKey, attempt: attempts, maxAttempts, reason: error.message }, 'payment provider attempt failed');
          }
          throw error;
        }
      });
      const declined = (result as { outcome?: string }).outcome === 'declined';
      calls.inc({ operation, outcome: declined ? 'declined' : 'success' });
      return { result, attempts };
    } catch (error) {
      calls.inc({ operation, outcome: isBrokenCircuitError(error) ? 'rejected' : 'error' });
      if (error instanceof TransientProviderError) {
        throw new PaymentProviderUnavailableError(
          `payment provider ${operation} gave up after ${attempts} attempt(s): ${error.message}`,
          attempts,
          error,
        );
      }
      if (isBrokenCircuitError(error)) {
        throw new PaymentProviderUnavailableError(
          `payment provider ${operation} not attempted${attempts > 0 ? ` again after ${attempts} attempt(s)` : ''}: circuit breaker open`,
          attempts,
          error,
        );
      }
      throw error;
    }
  }

  return {
    async charge(request) {
      const payload = { amount: request.amount, currency: request.currency, token: request.token, reference: request.reference };
      const { result, attempts } = await execute('charge', request.idempotencyKey, async (signal) => {
        const response = await post('/v1/charges', request.idempotencyKey, payload, signal);
        if (response.status === 201) {
          const parsed = chargeSucceeded.safeParse(response.json);
          if (!parsed.success) throw new PaymentProviderRequestError('charge', response.status, response.text, 'unexpected body');
          return { outcome: 'succeeded' as const, chargeId: parsed.data.id };
        }
        if (response.status === 402) {
          const parsed = chargeDeclined.safeParse(response.json);
          if (!parsed.success) throw new PaymentProviderRequestError('charge', response.status, response.text, 'unexpected body');
          return { outcome: 'declined' as const, code: parsed.data.code };
        }
        throw new PaymentProviderRequestError('charge', response.status, response.text);
      });
      return { ...result, attempts };
    },

    async refund(request) {
      const { result, attempts } = await execute('refund', request.idempotencyKey, async (signal) => {
        const response = await post('/v1/refunds', request.idempotencyKey, { charge: request.chargeId }, signal);
        if (response.status === 201) {
          const parsed = refundSucceeded.safeParse(response.json);
          if (!parsed.success) throw new PaymentProviderRequestError('refund', response.status, response.text, 'unexpected body');
          return { refundId: parsed.data.id, alreadyRefunded: false as const };
        }
        const error = errorBody.safeParse(response.json);
        if (response.status === 409 && error.success && error.data.error === 'already_refunded') {
          return { refundId: null, alreadyRefunded: true as const };
        }
        throw new PaymentProviderRequestError('refund', response.status, response.text);
      });
      return { ...result, attempts };
    },

    async findCharges(reference) {
      const { result, attempts } = await execute('findCharges', reference, async (signal) => {
        const response = await send(`/v1/charges?reference=${encodeURIComponent(reference)}`, signal, { headers: { accept: 'application/json' } });
        const parsed = chargeList.safeParse(response.json);
        if (response.status !== 200 || !parsed.success) throw new PaymentProviderRequestError('findCharges', response.status, response.text);
        return parsed.data.data;
      });
      return { charges: result, attempts };
    },

    breakerState() {
      switch (breakerPolicy.state) {
        case CircuitState.Closed:
          return 'closed';
        case CircuitState.HalfOpen:
          return 'half-open';
        case CircuitState.Open:
        case CircuitState.Isolated:
          return 'open';
      }
    },
  };
}
