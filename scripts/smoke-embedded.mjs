// Starts the supergraph the way `npm start` does (the same tsx entry point; npm
// itself re-raises signals, which would hide our exit code) on the embedded
// default in a temporary data folder, reads the demo catalog through the
// router and the storefront page the banner names, checks out with the customer token the banner prints, stops it with
// SIGTERM and checks that it drains and exits 0.
//
//   node scripts/smoke-embedded.mjs              the TypeScript sources through tsx (npm start)
//   node scripts/smoke-embedded.mjs --compiled   the build's JavaScript, as the image runs it
//                                                (node apps/launcher/dist/main.js; npm run build first)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'shop-smoke-'));
const ports = { ROUTER_PORT: '4100', PRODUCTS_PORT: '4101', ORDERS_PORT: '4102', PAYMENTS_PORT: '4103', PAYMENT_PROVIDER_PORT: '4110' };
const compiled = process.argv.includes('--compiled');
// The sources are read under the "@shop/source" condition (as .npmrc gives npm start); the build's dist/ without it.
const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(/--conditions=@shop\/source/g, '').trim();
const args = compiled ? ['apps/launcher/dist/main.js'] : ['--conditions=@shop/source', '--import', 'tsx', 'apps/launcher/src/main.ts'];
const child = spawn(process.execPath, args, {
  env: { ...process.env, NODE_OPTIONS: nodeOptions, DATABASE_URL: '', NATS_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...ports },
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
  // The banner comes once everything has started, the storefront's development server included (after the router is ready).
  if (ready && output.includes('Shop supergraph is up')) break;
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
if (compiled) {
  // The built SDK from plain Node, as a shop's own script would use it (`node example.mjs`): no tsx, no condition.
  const script = `import { createClient, ProductsDocument } from '@shop/sdk';
    const { products } = await createClient({ url: process.argv[1] }).request(ProductsDocument, { first: 3 });
    console.log(products.edges.length);`;
  const sdk = spawnSync(process.execPath, ['--input-type=module', '--eval', script, `${router}/graphql`], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' });
  if (sdk.status !== 0 || Number(sdk.stdout.trim()) !== Math.min(3, catalog.products.totalCount)) fail(`the built SDK from plain Node: exit ${sdk.status}, ${sdk.stdout}${sdk.stderr}`);
}
const token = /customer alice: (\S+)/.exec(output)?.[1];
if (!token || !output.includes('admin:')) fail('the start banner has no development tokens');
const storefrontUrl = /Storefront:\s+(\S+)/.exec(output)?.[1];
if (!storefrontUrl) fail('the start banner names no storefront');
const storefrontPage = await fetch(storefrontUrl).then(async (response) => ({ status: response.status, type: response.headers.get('content-type') ?? '', html: await response.text() }), (error) => ({ status: 0, type: '', html: String(error) }));
if (storefrontPage.status !== 200 || !storefrontPage.type.startsWith('text/html') || !storefrontPage.html.includes('id="root"')) fail(`the storefront at ${storefrontUrl} answered ${storefrontPage.status} ${storefrontPage.type}`);
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
console.log(`smoke: ${compiled ? 'compiled (apps/launcher/dist/main.js)' : 'tsx (apps/launcher/src/main.ts)'} embedded start served ${catalog.products.totalCount} demo products${compiled ? ' (also to the built SDK from plain Node)' : ''} and the storefront (${storefrontUrl}), confirmed a tok_visa checkout, and stopped cleanly`);
