import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaceOrderDocument, ShopApiError } from '@shop/sdk';
import { createOrderableProducts, sagaInvariantViolations, scrapeMetrics, settle, startTestSupergraph, waitForOutcome, type TestSupergraph } from '@shop/testing';

const databaseUrl = process.env['DATABASE_URL'];

/**
 * Every connection of the three subgraph databases is terminated, again and
 * again, while customers check out: the statements in flight fail (and are
 * retried: a request answers an error, an event is redelivered, the relay
 * and the payment worker try again), the process lives on (an unhandled pg
 * 'error' event would end this test worker), and every order settles.
 */
describe.skipIf(!databaseUrl)('database connections dropped during checkouts (needs DATABASE_URL)', () => {
  let test: TestSupergraph;
  const prefix = `test_${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    test = await startTestSupergraph({ config: { database: { kind: 'postgres', url: databaseUrl!, databasePrefix: prefix } } });
  });
  afterAll(() => test?.stop());

  /** Terminates every other connection to the three databases (this one's own pool included); resolves with how many. */
  async function terminateBackends(): Promise<number> {
    // Materialized first: in one WHERE, Postgres may call pg_terminate_backend before it checks the pid is not its own.
    const { rows } = await sql<{ terminated: boolean }>`
      with victims as materialized (select pid from pg_stat_activity where datname like ${`${prefix}\\_%`} and pid <> pg_backend_pid())
      select pg_terminate_backend(pid) as terminated from victims`.execute(test.supergraph.products!.database.db);
    return rows.length;
  }

  it('fails only the statements in flight: every order (placeOrder retried with its key) ends CONFIRMED, and the invariants hold', async () => {
    const alice = await test.customer('alice');
    const [product] = await createOrderableProducts(test, 1, { stock: 1_000 });
    let terminated = 0;
    const clientErrors: string[] = [];
    let stop = false;
    const blips = (async () => {
      while (!stop) {
        // The pool may hand out a connection the previous round terminated: that round fails, the next goes on.
        terminated += await terminateBackends().catch(() => 0);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    // 8 customers at once, 5 orders each; a placeOrder that failed is retried with its key, as a client would.
    const placed = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const ids: string[] = [];
        for (let n = 0; n < 5; n++) {
          const idempotencyKey = randomUUID();
          for (let attempt = 1; ; attempt++) {
            try {
              const { placeOrder } = await alice.request(PlaceOrderDocument, { input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey } });
              ids.push(placeOrder.id);
              break;
            } catch (error) {
              clientErrors.push(...(error instanceof ShopApiError ? error.codes : [String(error)]));
              if (attempt >= 20) throw error;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
          }
        }
        return ids;
      }),
    );
    stop = true;
    await blips;
    expect(terminated).toBeGreaterThan(0);
    // What a client saw of it: a code that says "retry", never an internal error.
    expect(clientErrors.filter((code) => code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    const orders = placed.flat();
    expect(new Set(orders).size).toBe(40);
    const outcomes = await Promise.all(orders.map((id) => waitForOutcome(alice, id, 60_000)));
    expect(outcomes.filter((order) => order.status !== 'CONFIRMED').map((order) => `${order.id} ${order.status} ${order.cancellationReason}`)).toEqual([]);
    await settle(test, 30_000);
    expect(await sagaInvariantViolations(test)).toEqual([]);
    // An event that met dropped connections was retried in place, never dead-lettered as a failing one.
    for (const service of ['products', 'orders', 'payments'] as const) {
      const metrics = await scrapeMetrics(test.supergraph[service]!.origin);
      expect(metrics.value('shop_events_dead_lettered_total', {}), `${service} dead letters`).toBe(0);
    }
  }, 120_000);
});
