// Startup time and memory of one service per process, compiled JavaScript
// (what the image runs: `node apps/launcher/dist/main.js`) against the
// TypeScript sources run by tsx (`npm start`). Needs `npm run build` first,
// Postgres and NATS:
//
//   node scripts/measure-processes.mjs [--runs 3] [--seconds 10]
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/shop_measure;
// the databases <name>_products, … are created if missing), NATS_URL (default
// nats://127.0.0.1:4222; a NATS_NAMESPACE of its own per run).
//
// For each mode it starts the card provider simulator and the three subgraphs,
// each its own process in production mode, then the router, and reports per
// process: time from spawn to /ready (median of --runs starts of orders and of
// the router), RSS once ready and idle, and peak RSS during --seconds of load
// through the router (16 concurrent clients, half `products(first: 20)`
// anonymously, half a customer's `orders(first: 10)` with items, products and
// payment).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';

const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '10' }, help: { type: 'boolean', short: 'h' } } });
if (options.help) {
  console.log(`node scripts/measure-processes.mjs [--runs 3] [--seconds 10]: startup and memory of one service per process, compiled JavaScript
against tsx (needs npm run build, Postgres and NATS). DATABASE_URL (default postgres://postgres@127.0.0.1:5432/shop_measure), NATS_URL.`);
  process.exit(0);
}
const RUNS = Number(options.runs);
const LOAD_SECONDS = Number(options.seconds);
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/shop_measure';
const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const secret = (name) => `${name}-measure-secret-0123456789abcdef0123456789`;
const PORTS = { 'payment-provider': 4710, products: 4701, orders: 4702, payments: 4703, router: 4700 };

// Children of this script must read dist/ or src/ by their mode, not by an inherited condition.
const NODE_OPTIONS = (process.env.NODE_OPTIONS ?? '').replace(/--conditions=@shop\/source/g, '').trim();
// Compiled code runs as its container runs it: with the node options of its docker-compose.yml service's
// command (the subgraphs'), else of the Dockerfile's CMD (the router's): V8's heap sizing.
const IMAGE_CMD = /^CMD (\[.*\])$/m.exec(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'))?.[1];
if (!IMAGE_CMD) throw new Error('expected a CMD ["node", …, "apps/launcher/dist/main.js"] line in the Dockerfile');
const COMPOSE_SERVICES = parseYaml(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')).services;
const nodeOptionsOf = (command) => command.slice(1, command.findIndex((argument, index) => index > 0 && !argument.startsWith('-')));
const containerNodeOptions = (service) => (service ? nodeOptionsOf(COMPOSE_SERVICES[service]?.command ?? JSON.parse(IMAGE_CMD)) : []);
const MODES = {
  compiled: (file, service) => [...containerNodeOptions(service), `${file.replace('/src/', '/dist/').replace(/\.ts$/, '.js')}`],
  tsx: (file) => ['--conditions=@shop/source', '--import', 'tsx', file],
};

function environment(service, namespace) {
  const common = {
    PATH: process.env.PATH,
    NODE_OPTIONS,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    APOLLO_TELEMETRY_DISABLED: 'true',
  };
  if (service === 'payment-provider') return { ...common, PAYMENT_PROVIDER_PORT: String(PORTS[service]), PAYMENT_PROVIDER_DATA_DIR: providerDir };
  const subgraph = { ...common, SERVICES: service, DATABASE_URL, NATS_URL, NATS_NAMESPACE: namespace, SEED_DEMO_DATA: 'true' };
  if (service === 'products') return { ...subgraph, PRODUCTS_PORT: String(PORTS.products), PRODUCTS_SUBGRAPH_SECRET: secret('products') };
  if (service === 'orders') return { ...subgraph, ORDERS_PORT: String(PORTS.orders), ORDERS_SUBGRAPH_SECRET: secret('orders') };
  if (service === 'payments') {
    return { ...subgraph, PAYMENTS_PORT: String(PORTS.payments), PAYMENTS_SUBGRAPH_SECRET: secret('payments'), PAYMENT_PROVIDER_URL: `http://127.0.0.1:${PORTS['payment-provider']}` };
  }
  return {
    ...common,
    SERVICES: 'router',
    ROUTER_PORT: String(PORTS.router),
    JWT_SECRET: secret('jwt'),
    PRODUCTS_SUBGRAPH_SECRET: secret('products'),
    ORDERS_SUBGRAPH_SECRET: secret('orders'),
    PAYMENTS_SUBGRAPH_SECRET: secret('payments'),
    PRODUCTS_URL: `http://127.0.0.1:${PORTS.products}/graphql`,
    ORDERS_URL: `http://127.0.0.1:${PORTS.orders}/graphql`,
    PAYMENTS_URL: `http://127.0.0.1:${PORTS.payments}/graphql`,
  };
}

const providerDir = mkdtempSync(join(tmpdir(), 'shop-measure-'));
const running = new Set();

/** Starts one service in its own process; resolves when its /ready answers 200, with the time that took. */
async function start(mode, service, namespace) {
  const file = service === 'payment-provider' ? 'packages/payment-provider/src/main.ts' : 'apps/launcher/src/main.ts';
  const began = performance.now();
  const child = spawn(process.execPath, MODES[mode](file, service), { env: environment(service, namespace), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const process_ = { child, service, stop: () => stop(process_) };
  running.add(process_);
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${service} (${mode}) exited before it was ready:\n${stderr}`);
    if (performance.now() - began > 60_000) throw new Error(`${service} (${mode}) was not ready within 60 s:\n${stderr}`);
    const ready = await fetch(`http://127.0.0.1:${PORTS[service]}/ready`).then((response) => response.ok, () => false);
    if (ready) return { ...process_, readyMs: performance.now() - began };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stop(process_) {
  running.delete(process_);
  if (process_.child.exitCode !== null || process_.child.signalCode !== null) return;
  const exited = new Promise((resolve) => process_.child.once('exit', resolve));
  process_.child.kill('SIGTERM');
  await exited;
}

/** Resident set size of a process, in MB (Linux). */
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const PRODUCTS = '{ products(first: 20) { edges { node { id sku name price { amount currency } stock } } } }';
const ORDERS = '{ orders(first: 10) { edges { node { id status items { quantity product { name price { amount } } } payment { status } } } } }';

async function graphql(query, token, variables) {
  const response = await fetch(`http://127.0.0.1:${PORTS.router}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`router answered errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Load through the router for LOAD_SECONDS while sampling every process's RSS; returns peak RSS per service and req/s. */
async function load(processes, token) {
  const peaks = Object.fromEntries(processes.map(({ service }) => [service, 0]));
  const sample = () => {
    for (const { service, child } of processes) peaks[service] = Math.max(peaks[service], rssMb(child.pid));
  };
  const sampler = setInterval(sample, 100);
  const until = performance.now() + LOAD_SECONDS * 1000;
  let requests = 0;
  await Promise.all(
    Array.from({ length: 16 }, async (_, client) => {
      while (performance.now() < until) {
        await (client % 2 === 0 ? graphql(PRODUCTS) : graphql(ORDERS, token));
        requests += 1;
      }
    }),
  );
  clearInterval(sampler);
  sample();
  return { peaks, requestsPerSecond: requests / LOAD_SECONDS };
}

const results = {};
try {
  for (const mode of Object.keys(MODES)) {
    const namespace = `measure_${process.pid}_${mode}`;
    // Startup of one subgraph alone (orders, on Postgres + NATS): median of RUNS starts, the first one migrates.
    const ordersStarts = [];
    for (let run = 0; run < RUNS; run += 1) {
      const orders = await start(mode, 'orders', namespace);
      ordersStarts.push(orders.readyMs);
      await orders.stop();
    }
    const provider = await start(mode, 'payment-provider', namespace);
    const subgraphs = [];
    for (const service of ['products', 'orders', 'payments']) subgraphs.push(await start(mode, service, namespace));
    const routerStarts = [];
    let router;
    for (let run = 0; run < RUNS; run += 1) {
      if (router) await router.stop();
      router = await start(mode, 'router', namespace);
      routerStarts.push(router.readyMs);
    }
    const processes = [provider, ...subgraphs, router];
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idle = Object.fromEntries(processes.map(({ service, child }) => [service, rssMb(child.pid)]));
    // A customer with a few orders, so the orders query crosses all three subgraphs.
    const token = spawnSync(process.execPath, MODES[mode]('router/src/cli/token.ts').concat(['--sub', `measure-${mode}`]), {
      env: environment('router'),
      encoding: 'utf8',
    }).stdout.trim();
    const products = (await graphql(PRODUCTS)).products.edges.map(({ node }) => node);
    for (let i = 0; i < 5; i += 1) {
      await graphql('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', token, {
        input: { items: [{ productId: products[i % products.length].id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: `measure-${mode}-${i}` },
      });
    }
    const { peaks, requestsPerSecond } = await load(processes, token);
    results[mode] = { ordersReadyMs: median(ordersStarts), routerReadyMs: median(routerStarts), ordersStarts, routerStarts, idle, peaks, requestsPerSecond };
    for (const process_ of [...processes].reverse()) await process_.stop();
  }
} finally {
  for (const process_ of [...running]) await process_.stop();
  rmSync(providerDir, { recursive: true, force: true });
}

const round = (value) => Math.round(value);
console.log(`\nStartup to /ready, median of ${RUNS} (ms); RSS once ready and idle, and peak during ${LOAD_SECONDS} s of load through the router (MB)\n`);
console.log('| | compiled JS | tsx |');
console.log('| --- | ---: | ---: |');
console.log(`| orders alone, start to ready (ms) | ${round(results.compiled.ordersReadyMs)} | ${round(results.tsx.ordersReadyMs)} |`);
console.log(`| router, start to ready (ms) | ${round(results.compiled.routerReadyMs)} | ${round(results.tsx.routerReadyMs)} |`);
for (const service of ['router', 'products', 'orders', 'payments', 'payment-provider']) {
  console.log(`| ${service} RSS idle / peak under load (MB) | ${round(results.compiled.idle[service])} / ${round(results.compiled.peaks[service])} | ${round(results.tsx.idle[service])} / ${round(results.tsx.peaks[service])} |`);
}
console.log(`| load through the router (req/s) | ${round(results.compiled.requestsPerSecond)} | ${round(results.tsx.requestsPerSecond)} |`);
console.log(`\nEach start (ms): ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([mode, r]) => [mode, { orders: r.ordersStarts.map(round), router: r.routerStarts.map(round) }])))}`);
