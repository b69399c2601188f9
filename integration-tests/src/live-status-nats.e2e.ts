/**
 * The live order status across processes, on a private nats-server (it is
 * stopped and started): two routers (this process's and a second router
 * process) each deliver every change once to their own subscribers; a NATS
 * restart or a router killed with SIGKILL during a subscription does not
 * lose the final status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateNats, freePort, NATS_SERVER_BIN, natsServerAvailable, waitFor, type PrivateNats } from '@shop/events/testing';
import { createClient as createWebSocketClient } from 'graphql-ws';
import { createClient, OrderStatusChangedDocument, PlaceOrderDocument, type ShopClient } from '@shop/sdk';
import { createOrderableProducts, sagaInvariantViolations, setProviderFaults, settle, startTestSupergraph, type TestSupergraph } from '@shop/testing';

const skipReason = natsServerAvailable ? '' : `needs a nats-server binary at ${NATS_SERVER_BIN} (set NATS_SERVER_BIN)`;
if (skipReason) console.warn(`live-status-nats.e2e.ts skipped: ${skipReason}`);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let nats: PrivateNats;
let test: TestSupergraph;
let secondRouter: { process: ChildProcess; url: string } | undefined;
let secondRouterPort: number;
let keyCounter = 0;

/** A router alone in its own process (`npm start` with SERVICES=router), on this test's subgraphs and NATS. */
async function startSecondRouter(): Promise<void> {
  const { products, orders, payments } = test.supergraph;
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/launcher/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SERVICES: 'router',
      ROUTER_PORT: String(secondRouterPort),
      NATS_URL: nats.url,
      PRODUCTS_URL: products!.url,
      ORDERS_URL: orders!.url,
      PAYMENTS_URL: payments!.url,
      PRODUCTS_SUBGRAPH_SECRET: test.subgraphSecret('products'),
      ORDERS_SUBGRAPH_SECRET: test.subgraphSecret('orders'),
      PAYMENTS_SUBGRAPH_SECRET: test.subgraphSecret('payments'),
      STOREFRONT_PORT: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${secondRouterPort}/graphql`;
  secondRouter = { process: child, url };
  await waitFor('the second router to be ready', async () => (await fetch(`http://127.0.0.1:${secondRouterPort}/ready`).catch(() => undefined))?.ok, { timeoutMs: 60_000, intervalMs: 200 });
}

beforeAll(async () => {
  if (skipReason) return;
  nats = await createPrivateNats();
  await nats.start();
  test = await startTestSupergraph({ config: { events: { kind: 'jetstream', url: nats.url } } });
  secondRouterPort = await freePort();
  await startSecondRouter();
}, 120_000);
afterEach(async () => {
  if (skipReason) return;
  await releasePayments();
  await settle(test);
  expect(await sagaInvariantViolations(test)).toEqual([]);
});
afterAll(async () => {
  secondRouter?.process.kill('SIGKILL');
  await test?.stop();
  await nats?.dispose();
});

/** The card provider down: new orders stay PENDING until releasePayments(), so first answers are PENDING on any machine. */
const holdPayments = () => setProviderFaults(test, { down: true });

const releasePayments = () => setProviderFaults(test);

async function placeOrders(count: number): Promise<string[]> {
  const alice = await test.customer('alice');
  const [product] = await createOrderableProducts(test, 1, { stock: 50 });
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    keyCounter += 1;
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: `live-nats-${keyCounter}` },
    });
    ids.push(placeOrder.id);
  }
  return ids;
}

/** alice's client on a router. */
async function aliceOn(url: string): Promise<ShopClient> {
  return createClient({ url, token: await test.token('alice', ['customer']) });
}

async function statuses(client: ShopClient, id: string, afterFirst?: () => void): Promise<string[]> {
  const seen: string[] = [];
  for await (const { orderStatusChanged } of client.subscribe(OrderStatusChangedDocument, { id })) {
    seen.push(orderStatusChanged.status);
    if (seen.length === 1) afterFirst?.();
  }
  return seen;
}

/** Places an order while payments are held and follows it through the router at `url`; resolves once the first answer (PENDING) is in. */
async function followHeldOrder(url: string): Promise<{ following: Promise<string[]> }> {
  await holdPayments();
  const [id] = await placeOrders(1);
  let answered = false;
  const following = statuses(await aliceOn(url), id!, () => (answered = true));
  await waitFor('the first answer', () => answered);
  return { following };
}

describe.skipIf(Boolean(skipReason))('live order status on NATS', () => {
  it('two router processes: each subscriber gets each change exactly once', async () => {
    await holdPayments();
    const ids = await placeOrders(3);
    const [onFirst, onSecond] = [await aliceOn(test.url), await aliceOn(secondRouter!.url)];
    let answered = 0;
    const counted = () => void (answered += 1);
    const following = Promise.all(ids.flatMap((id) => [statuses(onFirst, id, counted), statuses(onSecond, id, counted)]));
    await waitFor('every first answer', () => answered === 6);
    await releasePayments();
    expect(await following).toEqual(Array(6).fill(['PENDING', 'CONFIRMED']));
  });

  it('NATS restarted during a subscription: the final status still arrives', async () => {
    const { following } = await followHeldOrder(secondRouter!.url);
    await nats.stop();
    // The payment goes through while NATS is away; its events wait in the outboxes.
    await releasePayments();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await nats.start();
    expect(await following).toEqual(['PENDING', 'CONFIRMED']);
  }, 90_000);

  it('a router killed (SIGKILL) during a subscription: the client reconnects and gets the current state, then the final one', async () => {
    const { following } = await followHeldOrder(secondRouter!.url);
    secondRouter!.process.kill('SIGKILL');
    await releasePayments();
    await startSecondRouter();
    const seen = await following;
    expect(seen[0]).toBe('PENDING');
    expect(seen.at(-1)).toBe('CONFIRMED');
    expect(seen.filter((status) => status === 'CONFIRMED')).toHaveLength(1);
  }, 90_000);

  it('a router stopped (SIGTERM) completes its subscriptions and closes the WebSockets with 1001 (going away)', async () => {
    await holdPayments();
    const [id] = await placeOrders(1);
    const closes: number[] = [];
    const client = createWebSocketClient({
      url: secondRouter!.url.replace(/^http/, 'ws'),
      connectionParams: { authorization: `Bearer ${await test.token('alice', ['customer'])}` },
      retryAttempts: 0,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    const seen: string[] = [];
    const completed = new Promise<void>((resolve, reject) => {
      client.subscribe<{ orderStatusChanged: { status: string } }>(
        { query: 'subscription($id: ID!) { orderStatusChanged(id: $id) { status } }', variables: { id } },
        { next: (result) => seen.push(result.data!.orderStatusChanged.status), error: reject, complete: resolve },
      );
    });
    await waitFor('the first answer', () => seen.length === 1);
    const exited = new Promise((resolve) => secondRouter!.process.once('exit', resolve));
    secondRouter!.process.kill('SIGTERM');
    await completed;
    await exited;
    expect(seen).toEqual(['PENDING']);
    expect(closes).toEqual([1001]);
    secondRouter = undefined;
  }, 60_000);
});
