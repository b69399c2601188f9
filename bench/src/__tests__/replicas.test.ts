/**
 * Two processes of each subgraph and two routers on one Postgres and one NATS
 * (the cluster of ../cluster.ts with `replicas: 2`): they start at the same
 * moment on empty databases, share the work, and when one replica of every
 * service is killed (SIGKILL) mid-run the others finish it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeMetrics } from '@shop/testing';
import { instanceName, natsServerAvailable, startCluster, SUBGRAPH_NAMES, type Cluster } from '../cluster.js';
import { createCatalog, graphql, GraphQLCallError, ORDER_STATUS, PLACE_ORDER, type CreatedProduct } from '../http-client.js';
import { countByRule, isQuiet, SagaReader, violationsAtRest, type SagaState } from '../invariants.js';

const databaseUrl = process.env['DATABASE_URL'];
const natsUrl = process.env['NATS_URL'];
const REPLICAS = 2;
/** Every durable consumer, and the subgraph that runs it (docs/events.md). */
const DURABLES = {
  'products-from-orders': 'products',
  'orders-catalog': 'orders',
  'orders-from-products': 'orders',
  'orders-from-payments': 'orders',
  'payments-from-products': 'payments',
  'payments-from-orders': 'payments',
} as const;
const CANCEL_ORDER = 'mutation ReplicasCancelOrder($id: ID!) { cancelOrder(id: $id) { id status } }';
const UPDATE_PRODUCT = 'mutation ReplicasUpdateProduct($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';
const CUSTOMERS = 12;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!databaseUrl || !(natsUrl || natsServerAvailable))('replicas: two processes of each subgraph and two routers (needs DATABASE_URL and NATS)', () => {
  let cluster: Cluster;
  let reader: SagaReader;
  let catalog: { plenty: CreatedProduct[]; none: CreatedProduct };
  const orders = new Set<string>();
  let clientFailures = 0;

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'replicas',
      postgres: { kind: 'shared', url: databaseUrl! },
      nats: natsServerAvailable ? { kind: 'private' } : { kind: 'shared', url: natsUrl! },
      replicas: REPLICAS,
      // A short saga deadline, so the sweeper has work if an order gets stuck, and fast sweeps.
      env: { LOG_LEVEL: 'info', SAGA_DEADLINE_MS: '30000', SAGA_SWEEP_INTERVAL_MS: '500' },
    });
    reader = new SagaReader(cluster);
  }, 240_000);

  afterAll(async () => {
    await reader?.close();
    await cluster?.stop({ keepLogs: process.env['REPLICAS_KEEP_LOGS'] === '1' });
  });

  /**
   * One customer's checkouts, each sent to the routers in turn (orders spread over both). A router that
   * gives no answer (killed) is replaced by the other with the same idempotency key, as a client behind
   * a load balancer would retry: never a second order.
   */
  async function customer(index: number, until: number): Promise<void> {
    const token = await cluster.token(`replicas-${index}`, ['customer']);
    for (let n = 0; Date.now() < until; n += 1) {
      const kind = n % 5; // visa ×3, declined, out of stock
      const product = kind === 4 ? catalog.none : catalog.plenty[(index + n) % catalog.plenty.length]!;
      const input = { items: [{ productId: product.id, quantity: 1 }], paymentToken: kind === 3 ? 'tok_chargeDeclined' : 'tok_visa', idempotencyKey: randomUUID() };
      const id = await onAnyRouter(index + n, (url) => graphql<{ placeOrder: { id: string } }>(url, token, PLACE_ORDER, { input })).then((data) => data.placeOrder.id);
      orders.add(id);
      // Every seventh order is cancelled by its customer at once: OrderCancelled races the saga.
      if (n % 7 === 6) await onAnyRouter(index + n + 1, (url) => graphql(url, token, CANCEL_ORDER, { id })).catch(() => undefined);
      else await onAnyRouter(index + n, (url) => graphql(url, token, ORDER_STATUS, { id }));
    }
  }

  async function onAnyRouter<T>(turn: number, call: (url: string) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      const url = cluster.routerUrls[(turn + attempt) % cluster.routerUrls.length]!;
      try {
        return await call(url);
      } catch (error) {
        // No answer, or a subgraph connection cut under the request: retried; anything else is a failure of the test.
        const retryable = error instanceof GraphQLCallError && (error.status === undefined || error.status >= 500 || error.codes.some((code) => code === 'SUBGRAPH_UNAVAILABLE' || code === 'SERVICE_UNAVAILABLE'));
        if (!retryable || attempt >= 10) throw error;
        clientFailures += 1;
        await sleep(200);
      }
    }
  }

  async function handledBy(instance: { subgraph: (typeof SUBGRAPH_NAMES)[number]; replica: number }, durable: string): Promise<number> {
    const metrics = await scrapeMetrics(cluster.replicaUrls(instance.subgraph)[instance.replica]!);
    return metrics.value('shop_events_handled_total', { durable, outcome: 'success' });
  }

  async function waitForRest(timeoutMs: number): Promise<SagaState> {
    const deadline = Date.now() + timeoutMs;
    while (!isQuiet(await reader.motion())) {
      if (Date.now() > deadline) throw new Error(`the saga did not come to rest within ${timeoutMs} ms: ${JSON.stringify(await reader.motion())}`);
      await sleep(250);
    }
    return reader.read();
  }

  it('replicas started at the same moment on empty databases all come up', async () => {
    // startCluster started every subgraph process at once, before any database, schema, migration or stream existed.
    for (const name of [...SUBGRAPH_NAMES, 'router'] as const) {
      for (const url of cluster.replicaUrls(name)) expect((await fetch(`${url}/ready`)).status, url).toBe(200);
    }
    expect(cluster.unexpectedExits()).toEqual([]);
  });

  it('share the work (every consumer handled events on both replicas), survive a SIGKILL of one replica of each service, and every invariant holds at rest', async () => {
    const skus = Date.now().toString(36);
    const plenty = await createCatalog(
      cluster,
      Array.from({ length: 8 }, (_, index) => ({ sku: `REPL-${skus}-${index}`, name: `Replicated ${index}`, amount: 1_000 + index, stock: 100_000 })),
    );
    const [none] = await createCatalog(cluster, [{ sku: `REPL-${skus}-NONE`, name: 'Sold out', amount: 500, stock: 0 }]);
    catalog = { plenty, none: none! };
    // ProductChanged events for the orders' catalog consumer (25 with the creations): more than one replica's pull
    // batch (EVENT_CONCURRENCY, 16), which JetStream fills before it serves the other replica's pull.
    const admin = await cluster.token('replicas-admin', ['admin']);
    for (const [index, product] of plenty.entries()) {
      for (const amount of [2_000, 3_000]) {
        await onAnyRouter(index, (url) => graphql(url, admin, UPDATE_PRODUCT, { id: product.id, input: { price: { amount: amount + index, currency: 'EUR' } } }));
      }
    }

    // Phase 1: every replica up, orders spread over both routers.
    await Promise.all(Array.from({ length: CUSTOMERS }, (_, index) => customer(index, Date.now() + 10_000)));
    await waitForRest(60_000);
    for (const [durable, subgraph] of Object.entries(DURABLES)) {
      const counts = await Promise.all(Array.from({ length: REPLICAS }, (_, replica) => handledBy({ subgraph, replica }, durable)));
      expect(counts.every((count) => count > 0), `${durable} handled per replica: ${counts.join(', ')}`).toBe(true);
    }

    // Phase 2: a second replica of every subgraph and router is killed in the middle of the load, and stays down.
    const placedBefore = orders.size;
    const load = Promise.all(Array.from({ length: CUSTOMERS }, (_, index) => customer(index, Date.now() + 12_000)));
    await sleep(4_000);
    await Promise.all([...SUBGRAPH_NAMES, 'router' as const].map((name) => cluster.kill(name, 'SIGKILL', 1)));
    await load;
    expect(orders.size).toBeGreaterThan(placedBefore);

    // The survivors finish what the dead ones held: deliveries not acknowledged (ack wait), outbox rows they
    // had claimed (lease), payments whose attempt they held (lease, then the worker).
    const state = await waitForRest(120_000);
    expect(Object.fromEntries(countByRule(violationsAtRest(state)))).toEqual({});
    const byId = new Map(state.orders.map((order) => [order.id, order]));
    const statuses = [...orders].map((id) => byId.get(id)?.status ?? 'missing');
    expect(statuses.filter((status) => status !== 'CONFIRMED' && status !== 'CANCELLED')).toEqual([]);
    expect(statuses.filter((status) => status === 'CONFIRMED').length).toBeGreaterThan(0);
    // Each event's effect once: one payment per order that reached payments, one reservation line per order line.
    const paymentsPerOrder = new Map<string, number>();
    for (const payment of state.payments) paymentsPerOrder.set(payment.order_id, (paymentsPerOrder.get(payment.order_id) ?? 0) + 1);
    expect([...paymentsPerOrder.values()].filter((count) => count > 1)).toEqual([]);
    const linesPerOrder = new Map<string, number>();
    for (const line of state.reservations) linesPerOrder.set(line.order_id, (linesPerOrder.get(line.order_id) ?? 0) + 1);
    expect([...linesPerOrder.values()].filter((count) => count > 1)).toEqual([]);
    // Only the processes the test killed went away.
    expect(cluster.unexpectedExits().map((exit) => exit.name)).toEqual([]);
    expect([...SUBGRAPH_NAMES, 'router' as const].map((name) => cluster.pid(name, 1))).toEqual([undefined, undefined, undefined, undefined]);
    console.log(`${orders.size} orders, ${clientFailures} client retries; killed ${[...SUBGRAPH_NAMES, 'router' as const].map((name) => instanceName(name, 1)).join(', ')}`);
  }, 300_000);
});
