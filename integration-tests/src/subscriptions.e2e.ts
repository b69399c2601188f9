/**
 * The live order status: `subscription { orderStatusChanged(id) }` at the
 * router, over WebSocket (through the SDK and a raw graphql-ws client) and
 * over SSE, fed by the order events (in-process on the embedded default,
 * NATS with NATS_URL).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createWebSocketClient } from 'graphql-ws';
import { CancelOrderDocument, OrderStatusChangedDocument, PlaceOrderDocument, ShopApiError, type OrderFieldsFragment, type ShopClient } from '@shop/sdk';
import { createOrderableProducts, sagaInvariantViolations, scrapeMetrics, setProviderFaults, settle, startTestSupergraph, waitForOutcome, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;
let alice: ShopClient;
let keyCounter = 0;
const MAX_PER_CONNECTION = 3;
const IDLE_TIMEOUT_MS = 1_500;

beforeAll(async () => {
  test = await startTestSupergraph({ config: { router: { subscriptions: { maxPerConnection: MAX_PER_CONNECTION, maxPerClient: 20, maxTotal: 1_000, idleTimeoutMs: IDLE_TIMEOUT_MS } } } });
  alice = await test.customer('alice');
});
afterEach(async () => {
  await releasePayments();
  await settle(test);
  expect(await sagaInvariantViolations(test)).toEqual([]);
});
afterAll(() => test?.stop());

/**
 * The card provider down: a new order stays PENDING (an outage only delays a payment) until
 * releasePayments(), so a subscription's first answer is PENDING however slow the machine is.
 */
const holdPayments = () => setProviderFaults(test, { down: true });

const releasePayments = () => setProviderFaults(test);

async function placeOrder(client: ShopClient, paymentToken: string, quantity = 1): Promise<string> {
  const [product] = await createOrderableProducts(test, 1, { stock: 5 });
  keyCounter += 1;
  const { placeOrder } = await client.request(PlaceOrderDocument, {
    input: { items: [{ productId: product!.id, quantity }], paymentToken, idempotencyKey: `live-${keyCounter}` },
  });
  return placeOrder.id;
}

/** Every update of the subscription until the router completes it; `afterFirst` runs once the first is in. */
async function follow(client: ShopClient, id: string, afterFirst?: () => Promise<unknown>): Promise<OrderFieldsFragment[]> {
  const updates: OrderFieldsFragment[] = [];
  for await (const { orderStatusChanged } of client.subscribe(OrderStatusChangedDocument, { id })) {
    updates.push(orderStatusChanged);
    if (updates.length === 1) await afterFirst?.();
  }
  return updates;
}

async function errorOf(work: Promise<unknown>): Promise<ShopApiError> {
  const error = await work.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof ShopApiError)) throw new Error(`expected a ShopApiError, got ${String(error)}`);
  return error;
}

/** An SSE subscription as a browser or curl sends it: its events, parsed, until the stream ends; `afterFirst` once the first is in. */
async function overSse(query: string, variables: Record<string, unknown>, token: string | undefined, afterFirst?: () => Promise<unknown>) {
  const response = await fetch(test.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) {
    const before = text;
    text += decoder.decode(chunk, { stream: true });
    if (!before.includes('event: next') && text.includes('event: next')) await afterFirst?.();
  }
  const events = text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, ...dataLines] = block.split('\n');
      const data = dataLines.map((line) => line.replace(/^data: ?/, '')).join('\n');
      return { event: eventLine!.replace(/^event: ?/, ''), data: data ? (JSON.parse(data) as { data?: { orderStatusChanged: { status: string } }; errors?: unknown[] }) : null };
    });
  return { status: response.status, contentType: response.headers.get('content-type'), events, text };
}

const STATUS_QUERY = 'subscription Live($id: ID!) { orderStatusChanged(id: $id) { status cancellationReason total { amount } payment { status } } }';

describe('orderStatusChanged over WebSocket (SDK)', () => {
  it('answers PENDING at once, then CONFIRMED with its payment SUCCEEDED, then completes', async () => {
    await holdPayments();
    const id = await placeOrder(alice, 'tok_visa');
    const updates = await follow(alice, id, releasePayments);
    expect(updates.map((order) => order.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(updates[1]!.payment).toMatchObject({ status: 'SUCCEEDED', amount: updates[1]!.total });
  });

  it('follows a declined card to CANCELLED with PAYMENT_DECLINED and the payment FAILED', async () => {
    await holdPayments();
    const id = await placeOrder(alice, 'tok_chargeDeclined');
    const updates = await follow(alice, id, releasePayments);
    expect(updates.map((order) => [order.status, order.cancellationReason])).toEqual([
      ['PENDING', null],
      ['CANCELLED', 'PAYMENT_DECLINED'],
    ]);
    expect(updates[1]!.payment).toMatchObject({ status: 'FAILED', failureReason: 'card_declined' });
  });

  it('follows a cancel by the customer to CANCELLED with CUSTOMER_CANCELLED', async () => {
    await holdPayments();
    const id = await placeOrder(alice, 'tok_visa');
    const updates = await follow(alice, id, () => alice.request(CancelOrderDocument, { id }));
    expect(updates.map((order) => [order.status, order.cancellationReason])).toEqual([
      ['PENDING', null],
      ['CANCELLED', 'CUSTOMER_CANCELLED'],
    ]);
  });

  it('answers an order already final once, and completes', async () => {
    const id = await placeOrder(alice, 'tok_visa');
    await waitForOutcome(alice, id);
    const updates = await follow(alice, id);
    expect(updates.map((order) => order.status)).toEqual(['CONFIRMED']);
  });

  it('lets an admin follow any order', async () => {
    const id = await placeOrder(alice, 'tok_visa');
    const updates = await follow(test.admin, id);
    expect(updates.at(-1)!.status).toBe('CONFIRMED');
  });

  it("refuses another customer's order (FORBIDDEN), no token (UNAUTHENTICATED) and an expired token (the connection is refused)", async () => {
    const id = await placeOrder(alice, 'tok_visa');
    const bob = await test.customer('bob');
    expect((await errorOf(follow(bob, id))).codes).toEqual(['FORBIDDEN']);
    expect((await errorOf(follow(test.anonymous, id))).codes).toEqual(['UNAUTHENTICATED']);
    const expired = test.anonymous.withToken(await test.token('alice', ['customer'], '-1s'));
    expect((await errorOf(follow(expired, id))).codes).toEqual(['UNAUTHENTICATED']);
  });

  it('ends a subscription with UNAUTHENTICATED when its token expires', async () => {
    await holdPayments();
    const id = await placeOrder(alice, 'tok_visa');
    const shortLived = test.anonymous.withToken(await test.token('alice', ['customer'], '2s'));
    const statuses: string[] = [];
    const error = await errorOf(
      (async () => {
        for await (const { orderStatusChanged } of shortLived.subscribe(OrderStatusChangedDocument, { id })) statuses.push(orderStatusChanged.status);
      })(),
    );
    expect(statuses).toEqual(['PENDING']);
    expect(error.codes).toEqual(['UNAUTHENTICATED']);
    expect(error.message).toMatch(/expired/);
  });
});

describe('orderStatusChanged over SSE', () => {
  it('streams PENDING, then CONFIRMED, then complete', async () => {
    await holdPayments();
    const id = await placeOrder(alice, 'tok_visa');
    const { status, contentType, events } = await overSse(STATUS_QUERY, { id }, await test.token('alice', ['customer']), releasePayments);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(events.map((event) => (event.event === 'next' ? event.data?.data?.orderStatusChanged.status : event.event))).toEqual(['PENDING', 'CONFIRMED', 'complete']);
    expect(events[1]!.data?.data?.orderStatusChanged).toMatchObject({ cancellationReason: null, payment: { status: 'SUCCEEDED' } });
  });

  it('refuses without a token before opening a stream (401, a JSON GraphQL error)', async () => {
    const id = await placeOrder(alice, 'tok_visa');
    const { status, contentType, text } = await overSse(STATUS_QUERY, { id }, undefined);
    expect(status).toBe(401);
    expect(contentType).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});

describe('limits and abuse', () => {
  it(`refuses a subscription beyond ${MAX_PER_CONNECTION} on one connection; the others carry on`, async () => {
    await holdPayments();
    const ids = await Promise.all(Array.from({ length: MAX_PER_CONNECTION + 1 }, () => placeOrder(alice, 'tok_visa')));
    let answered = 0;
    const followed = ids.slice(0, MAX_PER_CONNECTION).map((id) => follow(alice, id, async () => void (answered += 1)));
    await expect.poll(() => answered).toBe(MAX_PER_CONNECTION);
    const refused = await errorOf(follow(alice, ids.at(-1)!));
    expect(refused.codes).toEqual(['OPERATION_LIMIT_EXCEEDED']);
    await releasePayments();
    for (const updates of await Promise.all(followed)) expect(updates.map((order) => order.status)).toEqual(['PENDING', 'CONFIRMED']);
  });

  it('refuses a too-deep or oversized subscription document, and a subscription sent as a plain POST', async () => {
    const id = await placeOrder(alice, 'tok_visa');
    const token = await test.token('alice', ['customer']);
    const client = createWebSocketClient({ url: test.url.replace(/^http/, 'ws'), connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    const refusal = async (query: string) => {
      const results = client.iterate({ query, variables: { id } });
      try {
        await results.next();
        return undefined;
      } catch (error) {
        return (error as { extensions?: { code?: string } }[]).map((entry) => entry.extensions?.code);
      }
    };
    try {
      const deep = `subscription($id: ID!) { orderStatusChanged(id: $id) { items { product { __typename ${'... on Product { __typename '.repeat(12)}${'}'.repeat(12)} } } } }`;
      expect(await refusal(deep)).toContain('OPERATION_LIMIT_EXCEEDED');
      const oversized = `subscription($id: ID!) { orderStatusChanged(id: $id) { ${'status '.repeat(2_100)} } }`;
      expect(await refusal(oversized)).toEqual(['OPERATION_LIMIT_EXCEEDED']);
      expect(await refusal('subscription { orderStatusChanged { status } }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    } finally {
      await client.dispose();
    }
    const overHttp = await fetch(test.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: STATUS_QUERY, variables: { id } }),
    });
    expect(overHttp.status).toBe(400);
    expect(await overHttp.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('counts open subscriptions and updates sent in /metrics', async () => {
    await holdPayments();
    const id = await placeOrder(alice, 'tok_visa');
    const before = await scrapeMetrics(test.supergraph.router!.metricsOrigin);
    let during: Awaited<ReturnType<typeof scrapeMetrics>> | undefined;
    await follow(alice, id, async () => {
      during = await scrapeMetrics(test.supergraph.router!.metricsOrigin);
      await releasePayments();
    });
    const after = await scrapeMetrics(test.supergraph.router!.metricsOrigin);
    const open = { transport: 'websocket' };
    expect(during!.value('shop_router_subscriptions_open', open)).toBe(before.value('shop_router_subscriptions_open', open) + 1);
    expect(after.value('shop_router_subscriptions_open', open)).toBe(before.value('shop_router_subscriptions_open', open));
    expect(after.value('shop_router_subscription_updates_total', open)).toBe(before.value('shop_router_subscription_updates_total', open) + 2);
  });

  it(`closes a WebSocket that has had no subscription for ${IDLE_TIMEOUT_MS} ms (1000)`, async () => {
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      const client = createWebSocketClient({
        url: test.url.replace(/^http/, 'ws'),
        lazy: false,
        retryAttempts: 0,
        connectionParams: {},
        on: { closed: (event) => resolve(event as { code: number; reason: string }) },
        onNonLazyError: () => undefined,
      });
      void client;
    });
    const { code, reason } = await closed;
    expect(code).toBe(1000);
    expect(reason).toMatch(/^Idle/);
  });
});
