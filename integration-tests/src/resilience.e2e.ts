import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderDocument, OrdersDocument, PlaceOrderDocument, ProductsDocument, type ShopClient } from '@shop/sdk';
import { createOrderableProducts, sagaInvariantViolations, scrapeMetrics, settle, startTestSupergraph, waitForOutcome, type TestSupergraph } from '@shop/testing';

// Short settings, so the breaker opens and half-opens in test time.
const resilience = { timeoutMs: 2_000, breakerFailures: 2, breakerHalfOpenAfterMs: 500 };

let test: TestSupergraph;
let alice: ShopClient;
let routerOrigin: string;
let confirmedOrderId: string;

beforeAll(async () => {
  test = await startTestSupergraph({ config: { router: { subgraphResilience: resilience } } });
  routerOrigin = new URL(test.url).origin;
  alice = await test.customer('alice');
  const [product] = await createOrderableProducts(test, 1, { stock: 10 });
  const { placeOrder } = await alice.request(PlaceOrderDocument, {
    input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: 'resilience-before' },
  });
  confirmedOrderId = (await waitForOutcome(alice, placeOrder.id)).id;
});
afterAll(() => test?.stop());

async function paymentsBreaker(): Promise<{ state: number; rejected: number }> {
  const metrics = await scrapeMetrics(routerOrigin);
  return {
    state: metrics.value('shop_router_subgraph_breaker_state', { subgraph: 'payments' }),
    rejected: metrics.value('shop_router_subgraph_requests_total', { subgraph: 'payments', outcome: 'rejected' }),
  };
}

describe('a subgraph stopped mid-run', () => {
  it('leaves queries that do not need it unaffected, answers partial data for those that do, opens its breaker, and recovers', async () => {
    await test.supergraph.stopSubgraph('payments');
    const notReady = await fetch(`${routerOrigin}/ready`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reason: string }).reason).toMatch(/127\.0\.0\.1:\d+ is not ready \(connect ECONNREFUSED/);

    // products and orders alone: as if nothing happened.
    const products = await test.anonymous.execute(ProductsDocument, { first: 5 });
    expect(products.errors).toBeUndefined();
    expect(products.data?.products.edges.length).toBeGreaterThan(0);

    // An order with its payment: the order is there, its payment is null, and one error says why.
    const partial = await alice.execute(OrderDocument, { id: confirmedOrderId });
    expect(partial.data?.order).toMatchObject({ id: confirmedOrderId, status: 'CONFIRMED', payment: null });
    expect(partial.errors?.map((error) => error.extensions?.['code'])).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(partial.errors?.[0]?.message).toMatch(/payments service is unavailable/);
    expect(JSON.stringify(partial.errors)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|stack/);

    // A list needing payments: every order still answers.
    const list = await alice.execute(OrdersDocument, { first: 10 });
    expect(list.data?.orders.edges.map((edge) => edge.node.id)).toContain(confirmedOrderId);
    expect(list.errors?.map((error) => error.extensions?.['code'])).toEqual(['SUBGRAPH_UNAVAILABLE']);

    // After `breakerFailures` failures in a row the breaker is open: payments is not even called.
    expect((await paymentsBreaker()).state).toBe(2);
    const rejectedBefore = (await paymentsBreaker()).rejected;
    const whileOpen = await alice.execute(OrderDocument, { id: confirmedOrderId });
    expect(whileOpen.errors?.map((error) => error.extensions?.['code'])).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect((await paymentsBreaker()).rejected).toBe(rejectedBefore + 1);

    // Checkouts go on: the order is placed (only its `payment` field is missing) and waits PENDING for its payment.
    const [product] = await createOrderableProducts(test, 1, { stock: 3 });
    const placed = await alice.execute(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: 'resilience-during' },
    });
    expect(placed.errors?.map((error) => error.extensions?.['code'])).toEqual(['SUBGRAPH_UNAVAILABLE']);
    const placeOrder = placed.data!.placeOrder;
    expect(placeOrder).toMatchObject({ status: 'PENDING', payment: null });

    await test.supergraph.restartSubgraph('payments');

    // The breaker lets a test call through after `breakerHalfOpenAfterMs`; its success closes it.
    await expect
      .poll(async () => (await alice.execute(OrderDocument, { id: confirmedOrderId })).errors, { timeout: 10_000, interval: 200 })
      .toBeUndefined();
    expect((await paymentsBreaker()).state).toBe(0);
    expect((await fetch(`${routerOrigin}/ready`)).status).toBe(200);
    const recovered = await alice.request(OrderDocument, { id: confirmedOrderId });
    expect(recovered.order?.payment?.status).toBe('SUCCEEDED');

    // The order placed during the outage is charged once payments is back.
    expect((await waitForOutcome(alice, placeOrder.id)).status).toBe('CONFIRMED');
    await settle(test);
    expect(await sagaInvariantViolations(test)).toEqual([]);
  });
});
