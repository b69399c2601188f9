import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';

const LOADS = 7;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * The figures the README quotes: JavaScript the first load fetches (gzip, as
 * any static host can serve it), and the time from navigation to the catalog
 * on screen with data (the page's "catalog-rendered" mark), median of 7 cold
 * loads of the production build against the running supergraph.
 */
test('first-load JavaScript size and time to the catalog with data', async ({ browser }) => {
  const timings: number[] = [];
  let scriptBytes = 0;
  let scriptGzipBytes = 0;
  for (let load = 0; load < LOADS; load += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scripts: Promise<Buffer>[] = [];
    page.on('response', (response) => {
      if (response.request().resourceType() === 'script') scripts.push(response.body());
    });
    await page.goto('/');
    await expect(page.getByRole('list', { name: 'Products' }).getByRole('listitem').first()).toBeVisible();
    const mark = await page.evaluate(() => performance.getEntriesByName('catalog-rendered')[0]?.startTime);
    expect(mark).toBeGreaterThan(0);
    timings.push(mark ?? NaN);
    if (load === 0) {
      const bodies = await Promise.all(scripts);
      scriptBytes = bodies.reduce((sum, body) => sum + body.length, 0);
      scriptGzipBytes = bodies.reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
    }
    await context.close();
  }
  const result = {
    firstLoadJavaScript: { files: 'every script of the first load', bytes: scriptBytes, gzipBytes: scriptGzipBytes },
    catalogRenderedMs: { median: Math.round(median(timings)), loads: timings.map(Math.round) },
  };
  mkdirSync(new URL('../e2e-results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../e2e-results/measurements.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `storefront: first-load JavaScript ${(scriptGzipBytes / 1024).toFixed(1)} KiB gzip (${(scriptBytes / 1024).toFixed(1)} KiB raw); ` +
      `navigation to catalog with data: median ${result.catalogRenderedMs.median} ms of ${LOADS} loads (${result.catalogRenderedMs.loads.join(', ')})`,
  );
  expect(scriptGzipBytes).toBeGreaterThan(0);
});
