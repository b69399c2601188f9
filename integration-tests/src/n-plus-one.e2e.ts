import { afterAll, beforeAll, expect, it } from 'vitest';
import { OrdersDashboardDocument } from '@shop/sdk';
import { createProducts, seedOrders, startTestSupergraph, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;

beforeAll(async () => {
  test = await startTestSupergraph();
  const products = await createProducts(test.admin, 5);
  await seedOrders(test, { customerId: 'n-plus-one', count: 100, products });
});
afterAll(() => test?.stop());

async function costOf(first: number) {
  const sqlBefore = test.sqlStatements();
  const fetchesBefore = test.subgraphFetches();
  const { orders } = await test.admin.request(OrdersDashboardDocument, { first });
  const sqlAfter = test.sqlStatements();
  expect(orders.edges).toHaveLength(first);
  for (const { node } of orders.edges) {
    expect(node.items).toHaveLength(5);
    expect(node.items.every((item) => item.product.name.length > 0)).toBe(true);
    expect(node.payment?.status).toBe('SUCCEEDED');
  }
  return {
    products: sqlAfter.products - sqlBefore.products,
    orders: sqlAfter.orders - sqlBefore.orders,
    payments: sqlAfter.payments - sqlBefore.payments,
    subgraphFetches: test.subgraphFetches() - fetchesBefore,
  };
}

it('costs the same SQL statements per subgraph for 1, 10 and 100 orders of 5 items', async () => {
  const one = await costOf(1);
  const ten = await costOf(10);
  const hundred = await costOf(100);
  // orders: the page of orders and one batch of their items; products: one
  // batch of entity lookups; payments: one batch of payments by order.
  expect(one).toEqual({ products: 1, orders: 2, payments: 1, subgraphFetches: 3 });
  expect(ten).toEqual(one);
  expect(hundred).toEqual(one);
});
