import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOrderDocument,
  OrderDocument,
  PlaceOrderDocument,
  ProductDocument,
  UpdateProductDocument,
  type ProductFieldsFragment,
  type ShopClient,
} from '@shop/sdk';
import { codesOf, createOrderableProducts, providerCharges, sagaInvariantViolations, setProviderFaults, settle, startTestSupergraph, waitForCatalog, waitForOutcome, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;
let alice: ShopClient;
let keyCounter = 0;

beforeAll(async () => {
  test = await startTestSupergraph();
  alice = await test.customer('alice');
});
afterEach(async () => {
  await setProviderFaults(test);
  await settle(test);
  expect(await sagaInvariantViolations(test)).toEqual([]);
});
afterAll(() => test?.stop());

function key() {
  keyCounter += 1;
  return `checkout-${keyCounter}`;
}

async function stockOf(product: ProductFieldsFragment): Promise<number> {
  const { product: current } = await test.anonymous.request(ProductDocument, { id: product.id });
  return current!.stock;
}


describe('checkout outcomes', () => {
  it('confirms an order paid with tok_visa: one payment of the total, stock lower by the quantities', async () => {
    const [mug, tee] = await createOrderableProducts(test, 2, { stock: 10 });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: mug!.id, quantity: 2 }, { productId: tee!.id, quantity: 3 }], paymentToken: 'tok_visa', idempotencyKey: key() },
    });
    expect(placeOrder.status).toBe('PENDING');
    expect(placeOrder.total.amount).toBe(2 * mug!.price.amount + 3 * tee!.price.amount);
    expect(placeOrder.items.map((item) => item.unitPrice.amount)).toEqual([mug!.price.amount, tee!.price.amount]);

    const order = await waitForOutcome(alice, placeOrder.id);
    expect(order.status).toBe('CONFIRMED');
    expect(order.cancellationReason).toBeNull();
    expect(order.payment).toMatchObject({ status: 'SUCCEEDED', amount: order.total, attempts: 1, failureReason: null });
    expect(await stockOf(mug!)).toBe(8);
    expect(await stockOf(tee!)).toBe(7);
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
    ['tok_unknown', 'invalid_token'],
  ])('cancels an order paid with %s (PAYMENT_DECLINED) and gives the stock back', async (paymentToken, code) => {
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 4 }], paymentToken, idempotencyKey: key() },
    });
    const order = await waitForOutcome(alice, placeOrder.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    expect(order.payment).toMatchObject({ status: 'FAILED', failureReason: code });
    await settle(test);
    expect(await stockOf(product!)).toBe(5);
  });

  it('cancels an order for more than the stock (OUT_OF_STOCK) without attempting a charge', async () => {
    const [plenty, scarce] = await createOrderableProducts(test, 2, { stock: 3 });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: plenty!.id, quantity: 1 }, { productId: scarce!.id, quantity: 4 }], paymentToken: 'tok_visa', idempotencyKey: key() },
    });
    const order = await waitForOutcome(alice, placeOrder.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK', payment: null });
    expect((await providerCharges(test)).filter((charge) => charge.reference === order.id)).toEqual([]);
    expect(await stockOf(plenty!)).toBe(3); // the line that fitted was not kept either
  });

  it('confirms an order paid with tok_processingError after retries, with exactly one charge', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_processingError', idempotencyKey: key() },
    });
    const order = await waitForOutcome(alice, placeOrder.id);
    expect(order.status).toBe('CONFIRMED');
    expect(order.payment).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    expect((await providerCharges(test)).filter((charge) => charge.reference === order.id)).toHaveLength(1);
  });
});

describe('cancellation', () => {
  it('cancels a PENDING order for its customer: stock released, the charge refunded', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 6 });
    // A slow provider keeps the order PENDING while the charge is in flight.
    await setProviderFaults(test, { latencyMs: 600 });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 2 }], paymentToken: 'tok_visa', idempotencyKey: key() },
    });
    const { cancelOrder } = await alice.request(CancelOrderDocument, { id: placeOrder.id });
    expect(cancelOrder).toMatchObject({ status: 'CANCELLED', cancellationReason: 'CUSTOMER_CANCELLED' });
    await settle(test);
    expect(await stockOf(product!)).toBe(6);
    const { order } = await alice.request(OrderDocument, { id: placeOrder.id });
    expect(order?.status).toBe('CANCELLED');
    // Charged before the cancellation arrived, or never: either way nothing is kept.
    expect(['REFUNDED', undefined]).toContain(order?.payment?.status);
    expect((await providerCharges(test)).filter((charge) => charge.reference === placeOrder.id && charge.status === 'succeeded')).toEqual([]);
  });

  it('refuses to cancel a finished order with CONFLICT, and another customer’s order as unknown', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 2 });
    const { placeOrder } = await alice.request(PlaceOrderDocument, {
      input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: key() },
    });
    await waitForOutcome(alice, placeOrder.id);
    expect(await codesOf(alice.request(CancelOrderDocument, { id: placeOrder.id }))).toEqual(['CONFLICT']);
    const bob = await test.customer('bob');
    expect(await codesOf(bob.request(CancelOrderDocument, { id: placeOrder.id }))).toEqual(['BAD_USER_INPUT']);
    expect((await waitForOutcome(alice, placeOrder.id)).status).toBe('CONFIRMED');
  });
});

describe('idempotency', () => {
  it('returns the same order for the same key and request, and charges once', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 10 });
    const input = { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: key() };
    const first = await alice.request(PlaceOrderDocument, { input });
    const [second, third] = await Promise.all([alice.request(PlaceOrderDocument, { input }), alice.request(PlaceOrderDocument, { input })]);
    expect(second.placeOrder.id).toBe(first.placeOrder.id);
    expect(third.placeOrder.id).toBe(first.placeOrder.id);
    await waitForOutcome(alice, first.placeOrder.id);
    await settle(test);
    expect(await stockOf(product!)).toBe(9);
    expect((await providerCharges(test)).filter((charge) => charge.reference === first.placeOrder.id)).toHaveLength(1);
  });

  it('answers CONFLICT when a key is reused with other items, and keeps keys per customer', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 10 });
    const idempotencyKey = key();
    await alice.request(PlaceOrderDocument, { input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey } });
    expect(
      await codesOf(alice.request(PlaceOrderDocument, { input: { items: [{ productId: product!.id, quantity: 2 }], paymentToken: 'tok_visa', idempotencyKey } })),
    ).toEqual(['CONFLICT']);
    const bob = await test.customer('bob');
    const { placeOrder } = await bob.request(PlaceOrderDocument, { input: { items: [{ productId: product!.id, quantity: 2 }], paymentToken: 'tok_visa', idempotencyKey } });
    expect(placeOrder.customerId).toBe('bob');
  });

  it('returns the first order to a retry even after its product was archived or repriced', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 10 });
    const input = { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: key() };
    const first = await alice.request(PlaceOrderDocument, { input });
    await test.admin.request(UpdateProductDocument, { id: product!.id, input: { price: { amount: 99_999, currency: 'EUR' } } });
    const { updateProduct } = await test.admin.request(UpdateProductDocument, { id: product!.id, input: { active: false } });
    await waitForCatalog(test, [updateProduct]);
    const retried = await alice.request(PlaceOrderDocument, { input });
    expect(retried.placeOrder).toMatchObject({ id: first.placeOrder.id, total: first.placeOrder.total });
    await waitForOutcome(alice, first.placeOrder.id);
  });
});

describe('placeOrder input', () => {
  it('rejects bad input with BAD_USER_INPUT and writes no order', async () => {
    const [a, b] = await createOrderableProducts(test, 2, { stock: 5 });
    const [usd] = await createOrderableProducts(test, 1, { stock: 5, price: { amount: 100, currency: 'USD' } });
    const [archived] = await createOrderableProducts(test, 1, { stock: 5 });
    const { updateProduct } = await test.admin.request(UpdateProductDocument, { id: archived!.id, input: { active: false } });
    await waitForCatalog(test, [updateProduct]);
    const line = (productId: string, quantity = 1) => ({ productId, quantity });
    const cases = [
      { items: [] },
      { items: [line(a!.id, 0)] },
      { items: [line(a!.id, -1)] },
      { items: [line(a!.id), line(a!.id)] },
      { items: [line('00000000-0000-4000-8000-000000000000')] },
      { items: [line('not-a-uuid')] },
      { items: [line(archived!.id)] },
      { items: [line(a!.id), line(usd!.id)] },
      { items: [line(b!.id)], idempotencyKey: '' },
      { items: [line(b!.id)], idempotencyKey: 'k'.repeat(256) },
      { items: [line(b!.id)], paymentToken: ' ' },
    ];
    const before = (await test.supergraph.orders!.database.db.selectFrom('orders').select('id').execute()).length;
    for (const overrides of cases) {
      const input = { paymentToken: 'tok_visa', idempotencyKey: key(), ...overrides };
      expect(await codesOf(alice.request(PlaceOrderDocument, { input })), JSON.stringify(overrides)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await codesOf(test.anonymous.request(PlaceOrderDocument, { input: { items: [line(a!.id)], paymentToken: 'tok_visa', idempotencyKey: key() } }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    expect((await test.supergraph.orders!.database.db.selectFrom('orders').select('id').execute()).length).toBe(before);
  });
});

describe('concurrency', () => {
  it('never oversells: stock 10 and 50 concurrent single-unit orders end 10 CONFIRMED, 40 OUT_OF_STOCK, stock 0', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 10 });
    const customers = await Promise.all(Array.from({ length: 50 }, (_, index) => test.customer(`rush-${index}`)));
    const placed = await Promise.all(
      customers.map((customer) =>
        customer.request(PlaceOrderDocument, { input: { items: [{ productId: product!.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: 'rush' } }),
      ),
    );
    const outcomes = await Promise.all(placed.map(({ placeOrder }, index) => waitForOutcome(customers[index]!, placeOrder.id, 60_000)));
    const count = (status: string, reason: string | null) => outcomes.filter((o) => o.status === status && o.cancellationReason === reason).length;
    expect(count('CONFIRMED', null)).toBe(10);
    expect(count('CANCELLED', 'OUT_OF_STOCK')).toBe(40);
    await settle(test);
    expect(await stockOf(product!)).toBe(0);
  }, 90_000);
});
