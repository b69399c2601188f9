import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderableProducts, startTestSupergraph, type TestSupergraph } from '@shop/testing';

/**
 * Every example of the README is a file of examples/, run here against a
 * started supergraph as a reader would run it; and the README shows each
 * file as it is, so the two cannot drift apart.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const EXAMPLES = ['examples/try-it.sh', 'examples/catalog.ts', 'examples/checkout.ts'] as const;

let test: TestSupergraph;
beforeAll(async () => {
  test = await startTestSupergraph();
  await createOrderableProducts(test, 2, { stock: 50 });
});
afterAll(() => test?.stop());

async function runExample(file: (typeof EXAMPLES)[number], env: Record<string, string>): Promise<string> {
  const [command, args] = file.endsWith('.sh') ? ['bash', [file]] : [process.execPath, ['--conditions=@shop/source', '--import', 'tsx', file]];
  const { stdout } = await run(command, args as string[], { cwd: ROOT, env: { ...process.env, SHOP_URL: test.url, ...env }, timeout: 60_000 });
  return stdout;
}

describe('examples/', () => {
  it('the README shows every example file as it is', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    for (const file of EXAMPLES) expect(readme, `${file} in the README`).toContain(readFileSync(`${ROOT}${file}`, 'utf8').trim());
  });

  it('try-it.sh: the catalog with curl, and a product created as an admin', async () => {
    const output = await runExample('examples/try-it.sh', { ADMIN_TOKEN: await test.token('admin', ['admin']) });
    const [catalog, created] = output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { data: Record<string, unknown>; errors?: unknown });
    expect(catalog?.errors).toBeUndefined();
    expect(catalog?.data['products']).toMatchObject({ totalCount: 2 });
    expect(created?.errors).toBeUndefined();
    expect(created?.data['createProduct']).toMatchObject({ stock: 5 });
  });

  it('catalog.ts: lists products and restocks one as an admin', async () => {
    const output = await runExample('examples/catalog.ts', { ADMIN_TOKEN: await test.token('admin', ['admin']) });
    expect(output).toMatch(/stock \d+/);
    expect(output).toMatch(/^restocked \S+: stock \d+$/m);
  });

  it('checkout.ts: places an order as a customer and follows it to CONFIRMED', async () => {
    const output = await runExample('examples/checkout.ts', { CUSTOMER_TOKEN: await test.token('alice', ['customer']) });
    expect(output).toMatch(/^placed order [0-9a-f-]{36}: PENDING$/m);
    expect(output.trim().split('\n').at(-1)).toBe('CONFIRMED  SUCCEEDED');
  });
});
