import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createClient, CreateProductDocument, ProductsDocument } from '@shop/sdk';
import { createLogger } from '@shop/observability';
import { DEVELOPMENT_JWT_SECRET, signDevelopmentToken } from '@shop/router';
import { launcherConfigFromEnv } from '../config.js';
import { startSupergraph } from '../supergraph.js';

const dataDir = await mkdtemp(join(tmpdir(), 'shop-embedded-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const env = {
  DATA_DIR: dataDir,
  ROUTER_PORT: '0',
  PRODUCTS_PORT: '0',
  ORDERS_PORT: '0',
  PAYMENTS_PORT: '0',
};

async function withSupergraph<T>(work: (url: string) => Promise<T>): Promise<T> {
  const supergraph = await startSupergraph(launcherConfigFromEnv(env), createLogger('test', 'warn'));
  try {
    return await work(supergraph.router!.url);
  } finally {
    await supergraph.stop();
  }
}

it('seeds the demo catalog on first start only and keeps data across a restart', async () => {
  const admin = await signDevelopmentToken(DEVELOPMENT_JWT_SECRET, { sub: 'admin', roles: ['admin'] });
  const firstCount = await withSupergraph(async (url) => {
    const client = createClient({ url, token: admin });
    const { products } = await client.request(ProductsDocument, {});
    await client.request(CreateProductDocument, {
      input: { sku: 'KEEP-ME', name: 'Survives restarts', price: { amount: 500, currency: 'EUR' } },
    });
    return products.totalCount;
  });
  expect(firstCount).toBeGreaterThan(0);

  const afterRestart = await withSupergraph(async (url) => {
    const { products } = await createClient({ url }).request(ProductsDocument, { first: 100 });
    return products;
  });
  expect(afterRestart.totalCount).toBe(firstCount + 1);
  expect(afterRestart.edges.map((edge) => edge.node.sku)).toContain('KEEP-ME');
}, 60_000);
