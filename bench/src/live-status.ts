/**
 * The live order status under many subscribers (BENCH_SCENARIOS=live): each
 * service in its own process on Postgres + NATS. Per level (1, 100, 1,000
 * subscribers), that many customers each place an order while the card
 * provider is down (the orders stay PENDING: an outage only delays a
 * payment) and follow it on a WebSocket of their own, as a browser tab
 * would; once every subscriber has its first answer, the provider comes back
 * and the saga confirms the orders, each subscriber receiving CONFIRMED. Reported: the
 * time from the order's status change (its `updatedAt`, written with the
 * status) to the subscriber receiving it, p50 and p99, and the router's
 * resident memory with the subscriptions open against before.
 */
import { createClient, OrderStatusChangedDocument, type ShopClient } from '@shop/sdk';
import { startCluster, type Cluster } from './cluster.js';
import { createCatalog, graphql, PLACE_ORDER } from './http-client.js';
import { rssMb } from './proc.js';

export interface LiveStatusLevel {
  subscribers: number;
  orders: number;
  /** CONFIRMED updates received (one per subscriber when nothing is lost). */
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  routerRssBeforeMb: number | undefined;
  routerRssOpenMb: number | undefined;
}

export interface LiveStatusResults {
  levels: LiveStatusLevel[];
  /** Router RSS growth per 1,000 open subscriptions, MB, at the largest level. */
  routerMbPer1000Subscriptions: number | undefined;
}

/** Customers placing their orders at once. */
const PLACING_CONCURRENCY = 20;
const FIRST_ANSWER_TIMEOUT_MS = 60_000;
const CONFIRMED_TIMEOUT_MS = 90_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

async function setProviderDown(cluster: Cluster, down: boolean): Promise<void> {
  const response = await fetch(`${cluster.providerUrl}/_admin/faults`, {
    method: down ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ down: true }),
  });
  if (!response.ok) throw new Error(`the card provider's fault switch answered HTTP ${response.status}`);
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function runLevel(cluster: Cluster, productId: string, subscribers: number, level: number): Promise<LiveStatusLevel> {
  await setProviderDown(cluster, true);
  const tokens = await Promise.all(Array.from({ length: subscribers }, (_, index) => cluster.token(`live-customer-${level}-${index}`, ['customer'])));
  const orderIds: string[] = new Array<string>(subscribers);
  let next = 0;
  const placeSome = async () => {
    for (let index = next++; index < subscribers; index = next++) {
      const { placeOrder } = await graphql<{ placeOrder: { id: string } }>(
        cluster.routerUrl,
        tokens[index],
        PLACE_ORDER,
        { input: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: `live-bench-${cluster.id}-${level}-${index}` } },
        60_000,
      );
      orderIds[index] = placeOrder.id;
    }
  };
  await Promise.all(Array.from({ length: PLACING_CONCURRENCY }, placeSome));
  const routerPid = cluster.pid('router');
  const routerRssBeforeMb = routerPid === undefined ? undefined : await rssMb(routerPid);

  // Each customer follows its own order on a WebSocket of its own.
  const clients: ShopClient[] = tokens.map((token) => createClient({ url: cluster.routerUrl, token }));
  let firstAnswers = 0;
  const latencies: number[] = [];
  const following = clients.map(async (client, index) => {
    for await (const { orderStatusChanged: order } of client.subscribe(OrderStatusChangedDocument, { id: orderIds[index]! })) {
      if (order.status === 'PENDING') firstAnswers += 1;
      else if (order.status === 'CONFIRMED') latencies.push(Date.now() - Date.parse(order.updatedAt));
    }
  });
  const failures: unknown[] = [];
  for (const follow of following) follow.catch((error: unknown) => failures.push(error));
  await waitUntil(`${subscribers} first answers`, () => firstAnswers + failures.length >= subscribers, FIRST_ANSWER_TIMEOUT_MS);
  if (failures.length > 0) throw new Error(`${failures.length} subscriptions failed; the first: ${String(failures[0])}`);
  const routerRssOpenMb = routerPid === undefined ? undefined : await rssMb(routerPid);

  await setProviderDown(cluster, false);
  await waitUntil(`${subscribers} CONFIRMED updates`, () => latencies.length + failures.length >= subscribers, CONFIRMED_TIMEOUT_MS);
  await Promise.allSettled(following);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    subscribers,
    orders: subscribers,
    received: latencies.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    routerRssBeforeMb,
    routerRssOpenMb,
  };
}

export async function runLiveStatus(options: { databaseUrl: string; natsUrl: string; levels: number[] }): Promise<LiveStatusResults> {
  const largest = Math.max(...options.levels);
  const cluster = await startCluster({
    postgres: { kind: 'shared', url: options.databaseUrl },
    nats: { kind: 'shared', url: options.natsUrl },
    name: 'bench_live',
    // One user per subscriber here; the per-router total must hold the largest level.
    env: { SUBSCRIPTIONS_MAX: String(Math.max(10_000, largest * 2)), LOG_LEVEL: 'warn' },
  });
  try {
    const [product] = await createCatalog(cluster, [{ sku: `LIVE-${cluster.id}`, name: 'Live status bench product', amount: 1_000, stock: 1_000_000 }]);
    const levels: LiveStatusLevel[] = [];
    for (const [index, subscribers] of options.levels.entries()) {
      const level = await runLevel(cluster, product!.id, subscribers, index);
      levels.push(level);
      console.log(
        `live status, ${subscribers} subscribers (each following its own order): status change → subscriber p50 ${level.p50Ms} ms, p99 ${level.p99Ms} ms, max ${level.maxMs} ms` +
          ` (${level.received}/${subscribers} received); router RSS ${level.routerRssBeforeMb?.toFixed(0)} → ${level.routerRssOpenMb?.toFixed(0)} MB with them open`,
      );
    }
    const top = levels.find((level) => level.subscribers === largest)!;
    const grown = top.routerRssOpenMb !== undefined && top.routerRssBeforeMb !== undefined ? top.routerRssOpenMb - top.routerRssBeforeMb : undefined;
    return { levels, routerMbPer1000Subscriptions: grown === undefined ? undefined : (grown * 1_000) / largest };
  } finally {
    await setProviderDown(cluster, false).catch(() => undefined);
    await cluster.stop();
  }
}
