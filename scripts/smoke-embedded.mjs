// Starts the supergraph the way `npm start` does (the same tsx entry point; npm
// itself re-raises signals, which would hide our exit code) on the embedded
// default in a temporary data folder, sends one query through the router,
// stops it with SIGTERM and checks that it drains and exits 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'shop-smoke-'));
const ports = { ROUTER_PORT: '4100', PRODUCTS_PORT: '4101', ORDERS_PORT: '4102', PAYMENTS_PORT: '4103' };
const child = spawn('node_modules/.bin/tsx', ['packages/launcher/src/main.ts'], {
  env: { ...process.env, DATABASE_URL: '', NATS_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...ports },
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
let output = '';
child.stdout.on('data', (chunk) => (output += chunk));
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

function fail(message) {
  console.error(`smoke: FAILED: ${message}\n--- output ---\n${output}`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
}

const router = `http://127.0.0.1:${ports.ROUTER_PORT}`;
const deadline = Date.now() + 90_000;
for (;;) {
  if (Date.now() > deadline) fail('the router was not ready within 90 s');
  const ready = await fetch(`${router}/ready`).then((r) => r.ok, () => false);
  if (ready) break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
const response = await fetch(`${router}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: '{ products(first: 3) { totalCount edges { node { sku name } } } }' }),
});
const body = await response.json();
if (body.errors || !(body.data?.products?.totalCount > 0)) fail(`unexpected answer: ${JSON.stringify(body)}`);
if (!output.includes('admin:') || !output.includes('customer alice:')) fail('the start banner has no development tokens');
child.kill('SIGTERM');
const { code, signal } = await exited;
rmSync(dataDir, { recursive: true, force: true });
if (code !== 0) fail(`the supergraph exited with code ${code}, signal ${signal} after SIGTERM`);
console.log(`smoke: embedded start answered ${body.data.products.totalCount} products through the router and stopped cleanly`);
