import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPrivateNats, NATS_SERVER_BIN, natsServerAvailable, type PrivateNats } from '@shop/events/testing';
import { OrderDocument, PlaceOrderDocument, ProductDocument } from '@shop/sdk';
import { createOrderableProducts, sagaInvariantViolations, scrapeMetrics, settle, startTestSupergraph, waitForOutcome, type TestSupergraph } from '@shop/testing';

// Stopping NATS must not touch the machine's shared server: this test runs its own.
const skipReason = natsServerAvailable ? '' : `needs a nats-server binary at ${NATS_SERVER_BIN} (set NATS_SERVER_BIN)`;
if (skipReason) console.warn(`nats-outage.e2e.ts skipped: ${skipReason}`);

let nats: PrivateNats;
let test: TestSupergraph;

beforeAll(async () => {
  if (skipReason) return;
  nats = await createPrivateNats();
  await nats.start();
  test = await startTestSupergraph({ config: { events: { kind: 'jetstream', url: nats.url } } });
});
afterAll(async () => {
  await test?.stop();
  await nats?.dispose();
});

it.skipIf(Boolean(skipReason))('accepts orders while NATS is away, loses none, and finishes them all once it is back', async () => {
  const alice = await test.customer('alice');
  const [product] = await createOrderableProducts(test, 1, { stock: 20 });
  const before = await alice.request(PlaceOrderDocument, { input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: 'before' } });
  expect((await waitForOutcome(alice, before.placeOrder.id)).status).toBe('CONFIRMED');

  await nats.stop();
  const during = [];
  for (let index = 0; index < 5; index += 1) {
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 2 }], paymentToken: 'tok_visa', idempotencyKey: `during-${index}` },
    });
    expect(placeOrder.status).toBe('PENDING');
    during.push(placeOrder.id);
  }
  // Away for a while: the orders wait in the outbox, none is lost or failed.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  for (const id of during) expect((await alice.request(OrderDocument, { id })).order?.status).toBe('PENDING');
  const waiting = await test.supergraph.orders!.database.db.selectFrom('outbox').select('id').where('published_at', 'is', null).execute();
  expect(waiting.length).toBe(5);
  // /ready says so, on the subgraphs and on the router, and /metrics shows the backlog.
  const orders = test.supergraph.orders!.origin;
  const router = new URL(test.url).origin;
  const notReady = await fetch(`${orders}/ready`);
  expect(notReady.status).toBe(503);
  expect(((await notReady.json()) as { reason: string }).reason).toMatch(/event broker/);
  expect((await fetch(`${router}/ready`)).status).toBe(503);
  expect((await scrapeMetrics(orders)).value('shop_outbox_backlog')).toBe(5);

  await nats.start();
  const outcomes = await Promise.all(during.map((id) => waitForOutcome(alice, id, 60_000)));
  expect(outcomes.map((order) => order.status)).toEqual(Array(5).fill('CONFIRMED'));
  await expect.poll(async () => (await fetch(`${router}/ready`)).status, { timeout: 10_000 }).toBe(200);
  await settle(test);
  expect((await test.anonymous.request(ProductDocument, { id: product!.id })).product?.stock).toBe(20 - 1 - 10);
  expect(await sagaInvariantViolations(test)).toEqual([]);
}, 120_000);
