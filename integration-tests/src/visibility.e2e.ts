import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderDocument, OrdersDocument, PaymentDocument, ShopApiError, type ShopClient } from '@shop/sdk';
import { createProducts, seedOrders, startTestSupergraph, type SeededOrder, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;
let alice: ShopClient;
let bob: ShopClient;
let aliceOrders: SeededOrder[];
let bobOrders: SeededOrder[];

beforeAll(async () => {
  test = await startTestSupergraph();
  alice = await test.customer('alice');
  bob = await test.customer('bob');
  const products = await createProducts(test.admin, 2);
  aliceOrders = await seedOrders(test, { customerId: 'alice', count: 3, products });
  bobOrders = await seedOrders(test, { customerId: 'bob', count: 2, products, withPayment: false });
});
afterAll(() => test?.stop());

describe('orders', () => {
  it('shows a customer their own order with items, products, total and payment', async () => {
    const [first] = aliceOrders;
    const { order } = await alice.request(OrderDocument, { id: first!.id });
    expect(order?.customerId).toBe('alice');
    expect(order?.total.amount).toBe(first!.total);
    expect(order?.items.map((item) => item.lineTotal.amount)).toEqual(
      order?.items.map((item) => item.unitPrice.amount * item.quantity),
    );
    expect(order?.items.every((item) => item.product.name.startsWith('Product'))).toBe(true);
    expect(order?.payment).toMatchObject({ id: first!.paymentId, status: 'SUCCEEDED', amount: { amount: first!.total } });
  });

  it("answers null for another customer's order, as for a missing one", async () => {
    const { order } = await bob.request(OrderDocument, { id: aliceOrders[0]!.id });
    expect(order).toBeNull();
  });

  it('lists only the customer’s own orders, newest first, and every order to an admin', async () => {
    const own = await alice.request(OrdersDocument, {});
    expect(own.orders.totalCount).toBe(3);
    expect(own.orders.edges.map((edge) => edge.node.id)).toEqual(aliceOrders.map((order) => order.id).reverse());
    const all = await test.admin.request(OrdersDocument, { first: 100 });
    expect(all.orders.totalCount).toBe(5);
    expect(new Set(all.orders.edges.map((edge) => edge.node.customerId))).toEqual(new Set(['alice', 'bob']));
  });

  it('pages orders with cursors and filters by status', async () => {
    const page1 = await test.admin.request(OrdersDocument, { first: 2 });
    expect(page1.orders.pageInfo.hasNextPage).toBe(true);
    const page2 = await test.admin.request(OrdersDocument, { first: 2, after: page1.orders.pageInfo.endCursor });
    const ids = [...page1.orders.edges, ...page2.orders.edges].map((edge) => edge.node.id);
    expect(new Set(ids).size).toBe(4);
    const pending = await test.admin.request(OrdersDocument, { status: 'PENDING' });
    expect(pending.orders.totalCount).toBe(0);
    const confirmed = await test.admin.request(OrdersDocument, { status: 'CONFIRMED' });
    expect(confirmed.orders.totalCount).toBe(5);
  });

  it('shows a null payment until a charge is attempted', async () => {
    const { order } = await bob.request(OrderDocument, { id: bobOrders[0]!.id });
    expect(order?.payment).toBeNull();
  });

  it('refuses anonymous callers with UNAUTHENTICATED', async () => {
    for (const request of [
      () => test.anonymous.request(OrdersDocument, {}),
      () => test.anonymous.request(OrderDocument, { id: aliceOrders[0]!.id }),
      () => test.anonymous.request(PaymentDocument, { id: aliceOrders[0]!.paymentId! }),
    ]) {
      await expect(request()).rejects.toSatisfy((error) => error instanceof ShopApiError && error.codes.includes('UNAUTHENTICATED'));
    }
  });

  it('rejects bad pagination and ids with BAD_USER_INPUT', async () => {
    for (const request of [
      () => alice.request(OrdersDocument, { first: 0 }),
      () => alice.request(OrdersDocument, { first: 101 }),
      () => alice.request(OrdersDocument, { after: 'garbage' }),
      () => alice.request(OrderDocument, { id: '42' }),
      () => alice.request(PaymentDocument, { id: 'x' }),
    ]) {
      await expect(request()).rejects.toSatisfy((error) => error instanceof ShopApiError && error.codes.join() === 'BAD_USER_INPUT');
    }
  });
});

describe('payments', () => {
  it('shows a payment and its order to the order’s customer and to an admin', async () => {
    const { id, paymentId, total } = aliceOrders[1]!;
    for (const client of [alice, test.admin]) {
      const { payment } = await client.request(PaymentDocument, { id: paymentId! });
      expect(payment).toMatchObject({ id: paymentId, status: 'SUCCEEDED', amount: { amount: total, currency: 'EUR' } });
      expect(payment?.order).toMatchObject({ id, customerId: 'alice', total: { amount: total } });
    }
  });

  it("answers null for another customer's payment", async () => {
    const { payment } = await bob.request(PaymentDocument, { id: aliceOrders[1]!.paymentId! });
    expect(payment).toBeNull();
  });
});

describe('entities', () => {
  /** What a subgraph answers to `_entities` from the router (secret included) on behalf of `userId`. */
  async function entitiesAs(subgraph: 'orders' | 'payments', userId: string, representation: Record<string, string>, selection: string) {
    const response = await fetch(test.supergraph[subgraph]!.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shop-subgraph-secret': test.subgraphSecret(subgraph),
        'x-shop-user-id': userId,
        'x-shop-user-roles': 'customer',
      },
      body: JSON.stringify({ query: `query ($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, variables: { r: [representation] } }),
    });
    return ((await response.json()) as { data: { _entities: unknown[] } }).data._entities;
  }

  it("returns nothing of another customer's order or payment through _entities", async () => {
    const { id, paymentId } = aliceOrders[0]!;
    expect(await entitiesAs('orders', 'bob', { __typename: 'Order', id }, '... on Order { id customerId total { amount } }')).toEqual([null]);
    expect(await entitiesAs('payments', 'bob', { __typename: 'Payment', id: paymentId! }, '... on Payment { id amount { amount } }')).toEqual([null]);
    expect(await entitiesAs('payments', 'bob', { __typename: 'Order', id }, '... on Order { payment { id } }')).toEqual([{ payment: null }]);
    // The owner gets them.
    expect(await entitiesAs('orders', 'alice', { __typename: 'Order', id }, '... on Order { id }')).toEqual([{ id }]);
  });
});
