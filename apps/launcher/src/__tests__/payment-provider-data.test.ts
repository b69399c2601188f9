import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@shop/observability';
import { launcherConfigFromEnv } from '../config.js';
import { startSupergraph } from '../supergraph.js';

const dataDir = await mkdtemp(join(tmpdir(), 'shop-provider-data-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('the card provider simulator’s data folder', () => {
  it('is <DATA_DIR>/payment-provider unless PAYMENT_PROVIDER_DATA_DIR names another, always absolute', () => {
    expect(launcherConfigFromEnv({}).paymentProviderDataDir).toBe(resolve('.data', 'payment-provider'));
    expect(launcherConfigFromEnv({ DATA_DIR: '/srv/shop' }).paymentProviderDataDir).toBe('/srv/shop/payment-provider');
    expect(launcherConfigFromEnv({ DATA_DIR: '/srv/shop', PAYMENT_PROVIDER_DATA_DIR: 'provider-ledger' }).paymentProviderDataDir).toBe(
      resolve('provider-ledger'),
    );
    expect(() => launcherConfigFromEnv({ PAYMENT_PROVIDER_DATA_DIR: ' ' })).toThrow(/PAYMENT_PROVIDER_DATA_DIR/);
  });

  it('keeps the charges of a simulator started by the launcher across a restart', async () => {
    const config = launcherConfigFromEnv({ SERVICES: 'payment-provider', PAYMENT_PROVIDER_PORT: '0', DATA_DIR: dataDir });
    const logger = createLogger('test', 'warn');
    const chargeOnce = async (url: string) => {
      const response = await fetch(`${url}/v1/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': 'order-1' },
        body: JSON.stringify({ amount: 990, currency: 'EUR', token: 'tok_visa', reference: 'order-1' }),
      });
      return { status: response.status, replayed: response.headers.get('Idempotent-Replayed'), body: (await response.json()) as { id: string } };
    };

    const before = await startSupergraph(config, logger);
    const first = await chargeOnce(before.paymentProvider!.url);
    await before.stop();
    expect(first.status).toBe(201);

    const after = await startSupergraph(config, logger);
    try {
      const again = await chargeOnce(after.paymentProvider!.url);
      expect(again).toEqual({ status: 201, replayed: 'true', body: first.body });
      expect(after.paymentProvider!.charges().map((charge) => charge.id)).toEqual([first.body.id]);
    } finally {
      await after.stop();
    }
  });
});
