import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createLogger } from '@shop/observability';
import { startPaymentProvider, type RunningPaymentProvider } from '../simulator.js';
import type { ChargeRecord, Faults, ProviderStats } from '../simulator.js';

export const testLogger = createLogger('payment-provider-test', process.env['LOG_LEVEL'] ?? 'silent');

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Raw HTTP, as any client of the public API would call it. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The simulator's test controls, over HTTP. */
export function admin(origin: string) {
  async function getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${origin}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }
  async function send(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${origin}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  }
  return {
    setFaults: (faults: Partial<Faults>) => send('POST', '/_admin/faults', faults),
    clearFaults: () => send('DELETE', '/_admin/faults'),
    reset: () => send('POST', '/_admin/reset'),
    charges: () => getJson<ChargeRecord[]>('/_admin/charges'),
    stats: () => getJson<ProviderStats>('/_admin/stats'),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One simulator for the test file, reset before each test. Read `.provider`
 * and `.control` inside tests (they are set once beforeAll has run).
 */
export function useSimulator() {
  const handle = {} as { provider: RunningPaymentProvider; control: ReturnType<typeof admin> };
  beforeAll(async () => {
    handle.provider = await startPaymentProvider({ port: 0, logger: testLogger });
    handle.control = admin(handle.provider.url);
  });
  afterAll(() => handle.provider.stop());
  beforeEach(() => handle.control.reset());
  return handle;
}
