// Starts the supergraph the way `npm start` does (the same tsx entry point; npm
// itself re-raises signals, which would hide our exit code) on the embedded
// default in a temporary data folder, reads the demo catalog through the
// router, checks out with the customer token the banner prints, stops it with
// SIGTERM and checks that it drains and exits 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'shop-smoke-'));
const ports = { ROUTER_PORT: '4100', PRODUCTS_PORT: '4101', ORDERS_PORT: '4102', PAYMENTS_PORT: '4103', PAYMENT_PROVIDER_PORT: '4110' };
const child = spawn('node_modules/.bin/tsx', ['apps/launcher/src/main.ts'], {
  env: { ...process.env, DATABASE_URL: '', NATS_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...ports },
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
let output = '';
child.stdout.on('data', (chunk) => (output += chunk));
let exitStatus = null;
const exited = new Promise((resolve) =>
  child.on('exit', (code, signal) => {
    exitStatus = { code, signal };
    resolve(exitStatus);
  }),
);

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
  if (exitStatus) fail(`the supergraph exited during start (${JSON.stringify(exitStatus)}): a port in use?`);
  if (Date.now() > deadline) fail('the router was not ready within 90 s');
  const ready = await fetch(`${router}/ready`).then((r) => r.ok, () => false);
  if (ready) break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
async function graphql(query, variables, token) {
  const response = await fetch(`${router}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) fail(`errors from the router: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const catalog = await graphql('{ products(first: 3) { totalCount edges { node { id sku stock } } } }');
if (!(catalog.products.totalCount > 0)) fail(`no demo catalog: ${JSON.stringify(catalog)}`);
const token = /customer alice: (\S+)/.exec(output)?.[1];
if (!token || !output.includes('admin:')) fail('the start banner has no development tokens');
const product = catalog.products.edges[0].node;
const placed = await graphql(
  'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }',
  { input: { items: [{ productId: product.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: 'smoke' } },
  token,
);
let order = placed.placeOrder;
const orderDeadline = Date.now() + 30_000;
while (order.status === 'PENDING' && Date.now() < orderDeadline) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  order = (await graphql('query ($id: ID!) { order(id: $id) { id status payment { status } } }', { id: order.id }, token)).order;
}
if (order.status !== 'CONFIRMED' || order.payment?.status !== 'SUCCEEDED') fail(`checkout ended ${JSON.stringify(order)}`);
child.kill('SIGTERM');
const { code, signal } = await exited;
rmSync(dataDir, { recursive: true, force: true });
if (code !== 0) fail(`the supergraph exited with code ${code}, signal ${signal} after SIGTERM`);
console.log(`smoke: embedded start served ${catalog.products.totalCount} demo products, confirmed a tok_visa checkout, and stopped cleanly`);
