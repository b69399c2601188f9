/**
 * The committed supergraph runs unchanged on another federation gateway: Hive
 * Gateway (../hive-gateway.ts, its own process) over the subgraphs of a running
 * supergraph, sending each subgraph its secret and the identity headers the
 * router sends, answers every operation of the SDK as the project's router
 * does. Queries must answer byte for byte the same (after sorting keys);
 * mutations, made once through each gateway on twin inputs, the same but for
 * the values a write generates (ids, timestamps, the sku that must be unique).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print, type DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOrderDocument,
  CreateProductDocument,
  OrderDocument,
  OrdersDashboardDocument,
  OrdersDocument,
  PaymentDocument,
  PlaceOrderDocument,
  ProductDocument,
  ProductsDocument,
  RestockProductDocument,
  UpdateProductDocument,
} from '@shop/sdk';
import manifest from '@shop/sdk/persisted-documents.json' with { type: 'json' };
import { startTestSupergraph, waitForCatalog, waitForOutcome, type TestSupergraph } from '@shop/testing';
import { startHiveGateway, type HiveGatewayProcess } from '../hive-gateway-process.js';

type Viewer = { sub: string; roles: ('customer' | 'admin')[] } | undefined;
const ADMIN: Viewer = { sub: 'admin', roles: ['admin'] };
const ALICE: Viewer = { sub: 'alice', roles: ['customer'] };
const BOB: Viewer = { sub: 'bob', roles: ['customer'] };

interface Answer {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** JSON with sorted keys: two gateways may order an object's fields differently, never its values. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([key, inner]) => [key, normalise(inner)]));
  return value;
}

/** What a client reads of an answer: its data, and each error's message and code (gateways add locations and paths their own way). */
function comparable(answer: Answer): unknown {
  return normalise({ data: answer.data ?? null, errors: answer.errors?.map((error) => ({ message: error.message, code: error.extensions?.code })) });
}

/** Values a write generates, which twin writes cannot share. */
const GENERATED = ['id', 'sku', 'createdAt', 'updatedAt', 'cursor', 'endCursor'];
function without(keys: readonly string[], value: unknown): unknown {
  if (Array.isArray(value)) return value.map((inner) => without(keys, inner));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, keys.includes(key) ? '<masked>' : without(keys, inner)]));
  return value;
}

describe('the committed supergraph on Hive Gateway answers every SDK operation as the router does', () => {
  let test: TestSupergraph;
  let hive: HiveGatewayProcess;
  const covered = new Set<string>();

  beforeAll(async () => {
    test = await startTestSupergraph();
    const subgraph = (name: 'products' | 'orders' | 'payments') => ({ url: test.supergraph[name]!.url, secret: test.subgraphSecret(name) });
    hive = await startHiveGateway({
      subgraphs: { products: subgraph('products'), orders: subgraph('orders'), payments: subgraph('payments') },
      logFile: join(tmpdir(), `second-gateway-${process.pid}.log`),
    });
  });
  afterAll(async () => {
    await hive?.stop();
    await test?.stop();
  });

  async function post(url: string, headers: Record<string, string>, document: DocumentNode, variables: Record<string, unknown>): Promise<Answer> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: print(document), variables }) });
    return (await response.json()) as Answer;
  }

  /** The router verifies a token; Hive Gateway is given the identity the router would forward after verifying it. */
  async function viaRouter(document: DocumentNode, variables: Record<string, unknown>, viewer: Viewer): Promise<Answer> {
    return post(test.url, viewer ? { authorization: `Bearer ${await test.token(viewer.sub, viewer.roles)}` } : {}, document, variables);
  }
  function viaHive(document: DocumentNode, variables: Record<string, unknown>, viewer: Viewer): Promise<Answer> {
    return post(hive.url, viewer ? { 'x-shop-user-id': viewer.sub, 'x-shop-user-roles': viewer.roles.join(',') } : {}, document, variables);
  }

  function operationName(document: DocumentNode): string {
    const operation = document.definitions.find((definition) => definition.kind === 'OperationDefinition');
    return operation?.name?.value ?? '(anonymous)';
  }

  /** A read through both: the same answer. */
  async function same(document: DocumentNode, variables: Record<string, unknown>, viewer: Viewer): Promise<Answer> {
    const [router, other] = await Promise.all([viaRouter(document, variables, viewer), viaHive(document, variables, viewer)]);
    expect(comparable(other), `${operationName(document)} ${JSON.stringify(variables)}`).toEqual(comparable(router));
    covered.add(operationName(document));
    return router;
  }

  /**
   * A write once through each, on twin inputs: the same answer but for generated values, and for `moving`
   * fields that other services change meanwhile (a placed order's payment, which the saga is already making).
   */
  async function twins<Data>(
    document: DocumentNode,
    variables: (gateway: 'router' | 'hive') => Record<string, unknown>,
    viewer: Viewer,
    moving: readonly string[] = [],
  ): Promise<{ router: Data; hive: Data }> {
    const router = await viaRouter(document, variables('router'), viewer);
    const other = await viaHive(document, variables('hive'), viewer);
    expect(router.errors, operationName(document)).toBeUndefined();
    const masked = [...GENERATED, ...moving];
    expect(without(masked, comparable(other)), operationName(document)).toEqual(without(masked, comparable(router)));
    covered.add(operationName(document));
    return { router: router.data as Data, hive: other.data as Data };
  }

  it('catalog, checkout, orders, payments and errors: the same answers through both gateways', async () => {
    type Product = { id: string; updatedAt: string };
    const tag = Date.now().toString(36);
    const created = await twins<{ createProduct: Product }>(
      CreateProductDocument,
      (gateway) => ({ input: { sku: `TWIN-${tag}-${gateway}`, name: 'Twin lamp', description: 'Made twice', price: { amount: 4_200, currency: 'EUR' }, stock: 10 } }),
      ADMIN,
    );
    const ids = { router: created.router.createProduct.id, hive: created.hive.createProduct.id };
    const updated = await twins<{ updateProduct: Product }>(UpdateProductDocument, (gateway) => ({ id: ids[gateway], input: { name: 'Twin lamp, dimmable' } }), ADMIN);
    await twins(RestockProductDocument, (gateway) => ({ id: ids[gateway], quantity: 5 }), ADMIN);
    // Orderable once the orders subgraph has the update (a restock changes nothing it keeps).
    await waitForCatalog(test, [updated.router.updateProduct, updated.hive.updateProduct]);

    await same(ProductDocument, { id: ids.router }, undefined);
    await same(ProductsDocument, { first: 20 }, undefined);
    await same(ProductsDocument, { first: 1, search: 'Twin' }, ALICE);
    // Admin-only, without a token: the same refusal.
    await same(CreateProductDocument, { input: { sku: `NOPE-${tag}`, name: 'Nope', price: { amount: 1, currency: 'EUR' } } }, undefined);

    const placed = await twins<{ placeOrder: { id: string } }>(
      PlaceOrderDocument,
      (gateway) => ({ input: { items: [{ productId: ids.router, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: `twin-${tag}-${gateway}` } }),
      ALICE,
      ['payment'],
    );
    const orderIds = [placed.router.placeOrder.id, placed.hive.placeOrder.id];
    const alice = await test.customer('alice');
    for (const id of orderIds) expect((await waitForOutcome(alice, id)).status).toBe('CONFIRMED');

    for (const id of orderIds) {
      const { data } = await same(OrderDocument, { id }, ALICE);
      const paymentId = (data as { order: { payment: { id: string } } }).order.payment.id;
      await same(PaymentDocument, { id: paymentId }, ALICE);
      // Someone else's order and payment: null through both.
      await same(OrderDocument, { id }, BOB);
      await same(PaymentDocument, { id: paymentId }, BOB);
    }
    await same(OrdersDocument, { first: 10 }, ALICE);
    await same(OrdersDocument, { first: 10, status: 'CONFIRMED' }, ADMIN);
    await same(OrdersDashboardDocument, { first: 10 }, ADMIN);
    // Only a PENDING order can be cancelled: the same CONFLICT through both.
    const cancelled = await same(CancelOrderDocument, { id: orderIds[0] }, ALICE);
    expect(cancelled.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  // Subscriptions are not planned by a federation gateway here (@apollo/gateway executes none): the router serves them apart.
  it('covered every query and mutation of the SDK', () => {
    const operations = Object.values(manifest as Record<string, string>).flatMap((text) => [...text.matchAll(/\b(?:query|mutation)\s+(\w+)/g)].map((match) => match[1]!));
    expect([...covered].sort()).toEqual([...new Set(operations)].sort());
  });
});
