import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphDatabase } from '@shop/database';
import { migrations, type PaymentsDatabase } from '@shop/payments';
import { createOrderableProducts, providerCharges, sagaViolations, startTestSupergraph, waitForOutcome, type TestSupergraph } from '@shop/testing';

const databaseUrl = process.env['DATABASE_URL'];
const natsUrl = process.env['NATS_URL'];
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The crash the saga must survive: the payments process is killed with
 * SIGKILL after the provider charged and before the result was recorded.
 * Payments runs here as a real separate process (the launcher with
 * SERVICES=payments) on Postgres and NATS; everything else runs in the test
 * process. The provider holds its answer back (`answerDelayMs`), so the
 * charge is made while payments still waits for it.
 */
describe.skipIf(!databaseUrl || !natsUrl)('payments killed between the provider’s charge and its recorded result (needs DATABASE_URL and NATS_URL)', () => {
  let test: TestSupergraph;
  let payments: ChildProcess | undefined;
  let paymentsPort: number;
  let paymentsDb: SubgraphDatabase<PaymentsDatabase>;
  let log = '';
  const prefix = `test_${randomBytes(5).toString('hex')}`;
  const namespace = `test_${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    test = await startTestSupergraph({
      config: { database: { kind: 'postgres', url: databaseUrl!, databasePrefix: prefix }, events: { kind: 'jetstream', url: natsUrl!, namespace } },
    });
    // The in-process payments made the database and the durable consumers; a process of its own takes over its port.
    paymentsPort = Number(new URL(test.supergraph.payments!.origin).port);
    paymentsDb = await test.supergraph.databaseHost!.open<PaymentsDatabase>('payments', migrations);
    await test.supergraph.stopSubgraph('payments');
    await startPaymentsProcess();
  });
  afterAll(async () => {
    payments?.kill('SIGKILL');
    await test?.stop();
  });

  async function startPaymentsProcess(): Promise<void> {
    const url = new URL(databaseUrl!);
    url.pathname = `/${prefix}`;
    // The sources (the @shop/source condition), as npm start runs them: this environment starts empty, without the NODE_OPTIONS the suite has.
    const child = spawn(process.execPath, ['--conditions=@shop/source', '--import', 'tsx', 'apps/launcher/src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'],
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        SERVICES: 'payments',
        HOST: '127.0.0.1',
        PAYMENTS_PORT: String(paymentsPort),
        DATABASE_URL: url.toString(),
        NATS_URL: natsUrl,
        NATS_NAMESPACE: namespace,
        PAYMENTS_SUBGRAPH_SECRET: test.subgraphSecret('payments'),
        PAYMENT_PROVIDER_URL: test.supergraph.paymentProvider!.url,
        SAGA_DEADLINE_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    payments = child;
    // A plain loop, not expect.poll: this also runs in beforeAll.
    for (const deadline = Date.now() + 60_000; ; ) {
      if (child.exitCode !== null) throw new Error(`the payments process exited (${child.exitCode}):\n${log}`);
      const ready = await fetch(`http://127.0.0.1:${paymentsPort}/ready`).catch(() => undefined);
      if (ready?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`the payments process was not ready within 60 s:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function killPayments(): Promise<void> {
    const child = payments!;
    child.kill('SIGKILL');
    const [, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    expect(signal).toBe('SIGKILL');
  }

  async function setProviderFaults(faults: { answerDelayMs: number } | null): Promise<void> {
    await fetch(`${test.supergraph.paymentProvider!.url}/_admin/faults`, {
      method: faults ? 'POST' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      ...(faults ? { body: JSON.stringify(faults) } : {}),
    });
  }

  /** Places an order and kills payments once the provider has made its charge, before payments hears of it. */
  async function chargeThenKill(stock: number) {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock });
    await setProviderFaults({ answerDelayMs: 30_000 });
    const { placeOrder: order } = await asAlice<{ placeOrder: { id: string } }>('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: randomUUID() },
    });
    await expect.poll(async () => (await providerCharges(test)).filter((charge) => charge.reference === order.id).length, { timeout: 20_000 }).toBe(1);
    await killPayments();
    const payment = await paymentsDb.db.selectFrom('payments').selectAll().where('order_id', '=', order.id).executeTakeFirstOrThrow();
    // The intent was committed before the call; the result never was.
    expect(payment).toMatchObject({ status: 'PENDING', idempotency_key: order.id, payment_token: 'tok_visa' });
    await setProviderFaults(null);
    return { alice, order };
  }

  /**
   * Operations that reach the orders subgraph only: the SDK's documents also
   * ask for the payment, which is unavailable while payments is down.
   */
  async function asAlice<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const response = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await test.token('alice', ['customer'])}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  /** The saga invariants, reading payments through this test's own handle (payments runs in another process). */
  async function violations(): Promise<string[]> {
    const products = test.supergraph.products!.database.db;
    const snapshot = {
      products: await products.selectFrom('products').selectAll().execute(),
      reservations: await products.selectFrom('stock_reservations').selectAll().execute(),
      orders: await test.supergraph.orders!.database.db.selectFrom('orders').selectAll().execute(),
      payments: await paymentsDb.db.selectFrom('payments').selectAll().execute(),
      charges: await providerCharges(test),
    };
    return sagaViolations(snapshot).map((violation) => violation.detail);
  }

  it('refunds the charge when the order is cancelled while payments is down', async () => {
    const { order } = await chargeThenKill(3);
    await asAlice('mutation ($id: ID!) { cancelOrder(id: $id) { id } }', { id: order.id });
    await startPaymentsProcess();
    // The restarted process takes the payment over once the dead attempt's lease ends, and asks the provider.
    await expect
      .poll(async () => (await paymentsDb.db.selectFrom('payments').select('status').where('order_id', '=', order.id).executeTakeFirst())?.status, {
        timeout: 45_000,
        interval: 250,
      })
      .toBe('REFUNDED');
    expect((await providerCharges(test)).filter((charge) => charge.reference === order.id).map((charge) => charge.status)).toEqual(['refunded']);
    await expect.poll(violations, { timeout: 15_000 }).toEqual([]);
  }, 90_000);

  it('confirms the order with exactly one charge when it was not cancelled', async () => {
    const { alice, order } = await chargeThenKill(3);
    await startPaymentsProcess();
    // The next attempt reuses the idempotency key: the provider replays the charge it made.
    expect((await waitForOutcome(alice, order.id, 45_000)).status).toBe('CONFIRMED');
    const charges = (await providerCharges(test)).filter((charge) => charge.reference === order.id);
    expect(charges.map((charge) => charge.status)).toEqual(['succeeded']);
    const payment = await paymentsDb.db.selectFrom('payments').selectAll().where('order_id', '=', order.id).executeTakeFirstOrThrow();
    expect(payment).toMatchObject({ status: 'SUCCEEDED', charge_id: charges[0]!.id });
    await expect.poll(violations, { timeout: 15_000 }).toEqual([]);
  }, 90_000);
});
