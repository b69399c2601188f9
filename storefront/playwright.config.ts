import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { E2E } from './e2e/ports.js';

/**
 * Browser end-to-end tests: Debian's Chromium (Playwright's own download does
 * not work here; scripts/ensure-chromium.mjs installs it with apt-get), the
 * storefront's production build (`vite build`, served by `vite preview`)
 * against a real supergraph started as `npm start` does (embedded PGlite),
 * with the router in persisted-documents-only mode: the build must send
 * hashes only, or nothing works.
 */
const dataDir = process.env['E2E_DATA_DIR'] ?? (process.env['E2E_DATA_DIR'] = mkdtempSync(join(tmpdir(), 'shop-storefront-e2e-')));

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // One shop, one stock: scenarios run one after another so none sees another's reservations.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: E2E.storefrontOrigin,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
    viewport: { width: 1200, height: 860 },
    trace: 'retain-on-failure',
  },
  webServer: [
    {
      // The launcher from its sources, as `npm start` runs it.
      command: 'node --conditions=@shop/source --import tsx apps/launcher/src/main.ts',
      cwd: '..',
      url: `${E2E.routerOrigin}/ready`,
      timeout: 180_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        DATABASE_URL: '',
        NATS_URL: '',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ROUTER_PORT: String(E2E.ports.router),
        PRODUCTS_PORT: String(E2E.ports.products),
        ORDERS_PORT: String(E2E.ports.orders),
        PAYMENTS_PORT: String(E2E.ports.payments),
        PAYMENT_PROVIDER_PORT: String(E2E.ports.paymentProvider),
        STOREFRONT_PORT: 'off',
        PERSISTED_DOCUMENTS_ONLY: 'true',
        CORS_ORIGINS: E2E.storefrontOrigin,
      },
    },
    {
      // The production build, pointed at that router.
      command: `npx vite build --logLevel warn && npx vite preview --port ${E2E.ports.storefront} --strictPort`,
      url: E2E.storefrontOrigin,
      timeout: 120_000,
      reuseExistingServer: false,
      env: { VITE_SHOP_API_URL: `${E2E.routerOrigin}/graphql` },
    },
  ],
});
