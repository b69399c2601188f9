import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBrokenCircuitError } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import {
  createPaymentProviderClient,
  PaymentProviderRequestError,
  PaymentProviderUnavailableError,
  retryBackoff,
  type ChargeRequest,
  type PaymentProviderClientOptions,
} from '../client.js';
import { startPaymentProvider } from '../simulator.js';
import { sleep, testLogger, useSimulator } from './helpers.js';

const simulator = useSimulator();

/** Small delays so tests stay fast; the policy is the production one. */
function client(overrides: Partial<PaymentProviderClientOptions> = {}) {
  return createPaymentProviderClient({
    baseUrl: simulator.provider.url,
    timeoutMs: 1000,
    maxAttempts: 4,
    initialBackoffMs: 1,
    maxBackoffMs: 10,
    breaker: { consecutiveFailures: 100, halfOpenAfterMs: 1000 },
    logger: testLogger,
    ...overrides,
  });
}

function chargeRequest(token: string, overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return { idempotencyKey: randomUUID(), amount: 4200, currency: 'EUR', token, reference: `order-${randomUUID()}`, ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('charge: outcomes', () => {
  it('tok_visa succeeds in one attempt', async () => {
    const request = chargeRequest('tok_visa');
    const result = await client().charge(request);
    expect(result).toEqual({ outcome: 'succeeded', chargeId: expect.stringMatching(/^ch_/), attempts: 1 });
    expect(await simulator.control.charges()).toEqual([
      { id: result.outcome === 'succeeded' ? result.chargeId : '', reference: request.reference, amount: 4200, currency: 'EUR', status: 'succeeded' },
    ]);
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
    ['tok_bogus', 'invalid_token'],
  ])('%s is a final decline (%s): not retried', async (token, code) => {
    const result = await client().charge(chargeRequest(token));
    expect(result).toEqual({ outcome: 'declined', code, attempts: 1 });
    expect(await simulator.control.stats()).toEqual({ chargeRequests: 1, refundRequests: 0 });
    expect(await simulator.control.charges()).toEqual([]);
  });

  it('tok_processingError succeeds on the third attempt, with exactly one charge', async () => {
    const request = chargeRequest('tok_processingError');
    const result = await client().charge(request);
    expect(result).toMatchObject({ outcome: 'succeeded', attempts: 3 });
    expect(await simulator.control.stats()).toMatchObject({ chargeRequests: 3 });
    expect(await simulator.control.charges()).toEqual([expect.objectContaining({ reference: request.reference, status: 'succeeded' })]);
  });

  it('gives up on tok_processingError when maxAttempts is too small, and a redelivery later succeeds', async () => {
    const request = chargeRequest('tok_processingError');
    const error = await rejection(client({ maxAttempts: 2 }).charge(request));
    expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
    expect((error as PaymentProviderUnavailableError).attempts).toBe(2);
    expect(await simulator.control.charges()).toEqual([]);

    // The message is redelivered later; the same idempotency key goes on where it stopped.
    const result = await client({ maxAttempts: 2 }).charge(request);
    expect(result).toMatchObject({ outcome: 'succeeded', attempts: 1 });
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('replays: the same key and body give the same charge, charged once', async () => {
    const request = chargeRequest('tok_visa');
    const first = await client().charge(request);
    const second = await client().charge(request);
    expect(second).toEqual(first);
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('throws a non-retryable error naming status and body when a key is reused with another body', async () => {
    const request = chargeRequest('tok_visa');
    await client().charge(request);
    const error = await rejection(client().charge({ ...request, amount: request.amount + 1 }));
    expect(error).toBeInstanceOf(PaymentProviderRequestError);
    expect(error).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect((error as Error).message).toMatch(/HTTP 422.*idempotency_key_reused/);
    expect(await simulator.control.stats()).toMatchObject({ chargeRequests: 2 });
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('does not retry a 400', async () => {
    const error = await rejection(client().charge(chargeRequest('tok_visa', { currency: 'eur' })));
    expect(error).toBeInstanceOf(PaymentProviderRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await simulator.control.stats()).toMatchObject({ chargeRequests: 1 });
  });

  it('creates exactly one charge for 10 concurrent identical calls', async () => {
    const request = chargeRequest('tok_visa');
    const shared = client();
    const results = await Promise.all(Array.from({ length: 10 }, () => shared.charge(request)));
    const ids = new Set(results.map((result) => (result.outcome === 'succeeded' ? result.chargeId : result.code)));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^ch_/);
    expect(await simulator.control.charges()).toHaveLength(1);
  });
});

describe('charge: transient failures', () => {
  it('retries injected 503s and succeeds', async () => {
    await simulator.control.setFaults({ failNextRequests: 2 });
    const result = await client().charge(chargeRequest('tok_visa'));
    expect(result).toMatchObject({ outcome: 'succeeded', attempts: 3 });
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('times out slow answers, retries, then throws PaymentProviderUnavailableError after maxAttempts', async () => {
    await simulator.control.setFaults({ latencyMs: 300 });
    const request = chargeRequest('tok_visa');
    const error = await rejection(client({ timeoutMs: 50, maxAttempts: 3 }).charge(request));
    expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
    expect((error as PaymentProviderUnavailableError).attempts).toBe(3);
    expect((error as Error).message).toMatch(/no answer within 50 ms/);
    expect(await simulator.control.stats()).toMatchObject({ chargeRequests: 3 });

    // The provider went on with the slow requests after the client gave up:
    // one charge, never two, and a later retry with the same key gets that charge.
    await vi.waitFor(async () => expect(await simulator.control.charges()).toHaveLength(1), { timeout: 5000, interval: 20 });
    await simulator.control.clearFaults();
    const retried = await client().charge(request);
    expect(retried).toMatchObject({ outcome: 'succeeded', chargeId: (await simulator.control.charges())[0]?.id, attempts: 1 });
    expect(await simulator.control.charges()).toHaveLength(1);
  });

  it('times out an answer whose body stalls after the headers, and keeps the connection pool usable', async () => {
    // A stand-in provider that sends its status and half a body, then nothing.
    const stalling = createServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write('{"id":"ch_');
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    const { port } = stalling.address() as AddressInfo;
    try {
      const error = await rejection(client({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 100, maxAttempts: 2 }).charge(chargeRequest('tok_visa')));
      expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
      expect(error).toMatchObject({ attempts: 2 });
      expect((error as Error).message).toMatch(/no answer within 100 ms/);
    } finally {
      stalling.closeAllConnections();
      await new Promise((resolve) => stalling.close(resolve));
    }
    // A client's later calls are unaffected.
    expect(await client().charge(chargeRequest('tok_visa'))).toMatchObject({ outcome: 'succeeded' });
  });

  it('retries network errors, then throws PaymentProviderUnavailableError', async () => {
    const closed = await startPaymentProvider({ port: 0, logger: testLogger });
    await closed.stop();
    const error = await rejection(client({ baseUrl: closed.url, maxAttempts: 3 }).charge(chargeRequest('tok_visa')));
    expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
    expect(error).toMatchObject({ attempts: 3 });
    expect((error as Error).message).toMatch(/network error/);
  });

  it('uses jittered exponential backoff (cockatiel default generator)', () => {
    const context = { attempt: 1, signal: new AbortController().signal, result: { error: new Error('x') } };
    const firstDelays = Array.from({ length: 50 }, () => retryBackoff(100, 2000).next().duration);
    expect(new Set(firstDelays).size).toBeGreaterThan(1);
    let backoff = retryBackoff(100, 2000).next();
    for (let attempt = 2; attempt < 20; attempt++) backoff = backoff.next({ ...context, attempt });
    expect(backoff.duration).toBe(2000);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failed attempts, fails fast, and closes once the provider is healthy', async () => {
    const halfOpenAfterMs = 400;
    const breaking = client({ maxAttempts: 2, breaker: { consecutiveFailures: 3, halfOpenAfterMs } });
    await simulator.control.setFaults({ down: true });

    // Two failed attempts: still closed.
    expect(await rejection(breaking.charge(chargeRequest('tok_visa')))).toMatchObject({ attempts: 2 });
    expect(breaking.breakerState()).toBe('closed');

    // The third failed attempt opens it; the retry is refused by the breaker.
    const opening = await rejection(breaking.charge(chargeRequest('tok_visa')));
    expect(opening).toBeInstanceOf(PaymentProviderUnavailableError);
    expect(opening).toMatchObject({ attempts: 1 });
    expect(breaking.breakerState()).toBe('open');
    const requestsWhenOpened = (await simulator.control.stats()).chargeRequests;
    expect(requestsWhenOpened).toBe(3);

    // Open: fails fast, without an HTTP request, even once the provider is back.
    await simulator.control.clearFaults();
    const fast = await rejection(breaking.charge(chargeRequest('tok_visa')));
    expect(fast).toBeInstanceOf(PaymentProviderUnavailableError);
    expect(fast).toMatchObject({ attempts: 0 });
    expect(isBrokenCircuitError((fast as Error).cause)).toBe(true);
    expect(await rejection(breaking.refund({ idempotencyKey: randomUUID(), chargeId: 'ch_x' }))).toMatchObject({ attempts: 0 });
    expect(await simulator.control.stats()).toEqual({ chargeRequests: requestsWhenOpened, refundRequests: 0 });

    // After halfOpenAfterMs one test call goes through; it succeeds and closes the breaker.
    await sleep(halfOpenAfterMs + 50);
    expect(breaking.breakerState()).toBe('open'); // cockatiel only moves to half-open when a call comes
    const result = await breaking.charge(chargeRequest('tok_visa'));
    expect(result).toMatchObject({ outcome: 'succeeded', attempts: 1 });
    expect(breaking.breakerState()).toBe('closed');
    expect(await simulator.control.stats()).toMatchObject({ chargeRequests: requestsWhenOpened + 1 });
  });

  it('opens again when the half-open test call fails', async () => {
    const halfOpenAfterMs = 300;
    const breaking = client({ maxAttempts: 3, breaker: { consecutiveFailures: 2, halfOpenAfterMs } });
    await simulator.control.setFaults({ down: true });
    expect(await rejection(breaking.charge(chargeRequest('tok_visa')))).toMatchObject({ attempts: 2 });
    expect(breaking.breakerState()).toBe('open');

    await sleep(halfOpenAfterMs + 50);
    // One test call, which fails: open again, no further attempt.
    expect(await rejection(breaking.charge(chargeRequest('tok_visa')))).toMatchObject({ attempts: 1 });
    expect(breaking.breakerState()).toBe('open');
    expect(await simulator.control.stats()).toMatchObject({ chargeRequests: 3 });
  });

  it('does not count declines or 4xx answers as failures', async () => {
    const breaking = client({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      await breaking.charge(chargeRequest('tok_chargeDeclined'));
      await rejection(breaking.charge(chargeRequest('tok_visa', { currency: 'eur' })));
    }
    expect(breaking.breakerState()).toBe('closed');
  });
});

describe('refund', () => {
  async function charged(): Promise<string> {
    const result = await client().charge(chargeRequest('tok_visa'));
    if (result.outcome !== 'succeeded') throw new Error('charge failed');
    return result.chargeId;
  }

  it('refunds once, and the charge is no longer kept', async () => {
    const chargeId = await charged();
    const result = await client().refund({ idempotencyKey: randomUUID(), chargeId });
    expect(result).toEqual({ refundId: expect.stringMatching(/^re_/), alreadyRefunded: false, attempts: 1 });
    expect(await simulator.control.charges()).toEqual([expect.objectContaining({ id: chargeId, status: 'refunded' })]);
  });

  it('replays a refund with the same key', async () => {
    const chargeId = await charged();
    const request = { idempotencyKey: randomUUID(), chargeId };
    const first = await client().refund(request);
    expect(await client().refund(request)).toEqual(first);
  });

  it('reports already_refunded as a success-ish result', async () => {
    const chargeId = await charged();
    await client().refund({ idempotencyKey: randomUUID(), chargeId });
    const second = await client().refund({ idempotencyKey: randomUUID(), chargeId });
    expect(second).toEqual({ refundId: null, alreadyRefunded: true, attempts: 1 });
  });

  it('retries a refund through transient failures', async () => {
    const chargeId = await charged();
    await simulator.control.setFaults({ failNextRequests: 3 });
    expect(await client().refund({ idempotencyKey: randomUUID(), chargeId })).toMatchObject({ alreadyRefunded: false, attempts: 4 });
    expect(await simulator.control.stats()).toMatchObject({ refundRequests: 4 });
  });

  it('throws a non-retryable error for an unknown charge', async () => {
    const error = await rejection(client().refund({ idempotencyKey: randomUUID(), chargeId: 'ch_missing' }));
    expect(error).toBeInstanceOf(PaymentProviderRequestError);
    expect(error).toMatchObject({ status: 404, code: 'charge_not_found' });
    expect(await simulator.control.stats()).toMatchObject({ refundRequests: 1 });
  });
});

describe('options', () => {
  it('rejects nonsense settings', () => {
    expect(() => client({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => client({ timeoutMs: -1 })).toThrow(RangeError);
    expect(() => client({ breaker: { consecutiveFailures: 1.5 } })).toThrow(RangeError);
  });
});
