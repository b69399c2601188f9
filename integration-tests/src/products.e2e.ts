import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateProductDocument,
  ProductDocument,
  ProductsDocument,
  RestockProductDocument,
  UpdateProductDocument,
  type ShopClient,
} from '@shop/sdk';
import { codesOf, createProducts, startTestSupergraph, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;
let customer: ShopClient;

beforeAll(async () => {
  test = await startTestSupergraph();
  customer = await test.customer('alice');
});
afterAll(() => test?.stop());

describe('catalog reads', () => {
  it('pages through active products newest first with opaque cursors and a total count', async () => {
    const created = await createProducts(test.admin, 5, { name: 'Pager lamp' });
    const seen: string[] = [];
    let after: string | null | undefined;
    for (;;) {
      const { products } = await test.anonymous.request(ProductsDocument, { first: 2, after, search: 'pager lamp' });
      expect(products.totalCount).toBe(5);
      seen.push(...products.edges.map((edge) => edge.node.id));
      if (!products.pageInfo.hasNextPage) break;
      after = products.pageInfo.endCursor;
    }
    expect(seen).toEqual(created.map((product) => product.id).reverse());
  });

  it('searches name, sku and description case-insensitively, treating % and _ literally', async () => {
    const [plain] = await createProducts(test.admin, 1, { name: 'Zebra-striped Umbrella', description: 'keeps rain off' });
    const [percent] = await createProducts(test.admin, 1, { name: 'Discount 100% cotton', description: '' });
    const byName = await test.anonymous.request(ProductsDocument, { search: 'ZEBRA-STRIPED' });
    expect(byName.products.edges.map((edge) => edge.node.id)).toEqual([plain?.id]);
    const byDescription = await test.anonymous.request(ProductsDocument, { search: 'Rain Off' });
    expect(byDescription.products.edges.map((edge) => edge.node.id)).toEqual([plain?.id]);
    const bySku = await test.anonymous.request(ProductsDocument, { search: plain?.sku ?? '' });
    expect(bySku.products.edges.map((edge) => edge.node.id)).toEqual([plain?.id]);
    const literalPercent = await test.anonymous.request(ProductsDocument, { search: '100%' });
    expect(literalPercent.products.edges.map((edge) => edge.node.id)).toEqual([percent?.id]);
    const wildcard = await test.anonymous.request(ProductsDocument, { search: '%' });
    expect(wildcard.products.edges.map((edge) => edge.node.id)).toEqual([percent?.id]);
  });

  it('keeps archived products readable by id but out of the listing', async () => {
    const [product] = await createProducts(test.admin, 1, { name: 'Archivable kettle' });
    const id = product!.id;
    await test.admin.request(UpdateProductDocument, { id, input: { active: false } });
    const single = await test.anonymous.request(ProductDocument, { id });
    expect(single.product).toMatchObject({ id, active: false });
    const listed = await test.anonymous.request(ProductsDocument, { search: 'Archivable kettle' });
    expect(listed.products.totalCount).toBe(0);
  });

  it('answers null for an unknown product id', async () => {
    const { product } = await test.anonymous.request(ProductDocument, { id: '00000000-0000-4000-8000-000000000000' });
    expect(product).toBeNull();
  });

  it.each([
    ['first 0', { first: 0 }],
    ['first 101', { first: 101 }],
    ['first -5', { first: -5 }],
    ['a cursor that is not base64 JSON', { after: 'not-a-cursor' }],
    ['a cursor with a forged payload', { after: Buffer.from('["v1","yesterday","x"]').toString('base64url') }],
  ])('rejects pagination arguments with BAD_USER_INPUT: %s', async (_, variables) => {
    expect(await codesOf(test.anonymous.request(ProductsDocument, variables))).toEqual(['BAD_USER_INPUT']);
  });

  it('rejects a malformed product id with BAD_USER_INPUT', async () => {
    expect(await codesOf(test.anonymous.request(ProductDocument, { id: 'abc' }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('catalog administration', () => {
  it('creates, updates and restocks a product for an admin', async () => {
    const { createProduct } = await test.admin.request(CreateProductDocument, {
      input: { sku: 'ADM-1', name: 'Tea tin', price: { amount: 990, currency: 'EUR' }, stock: 4 },
    });
    expect(createProduct).toMatchObject({ sku: 'ADM-1', name: 'Tea tin', description: '', stock: 4, active: true });
    expect(createProduct.price).toEqual({ amount: 990, currency: 'EUR' });

    const { updateProduct } = await test.admin.request(UpdateProductDocument, {
      id: createProduct.id,
      input: { name: 'Tea tin (large)', price: { amount: 1290, currency: 'USD' } },
    });
    expect(updateProduct).toMatchObject({ name: 'Tea tin (large)', price: { amount: 1290, currency: 'USD' }, stock: 4 });
    expect(Date.parse(updateProduct.updatedAt)).toBeGreaterThanOrEqual(Date.parse(createProduct.updatedAt));

    const { restockProduct } = await test.admin.request(RestockProductDocument, { id: createProduct.id, quantity: 6 });
    expect(restockProduct.stock).toBe(10);
  });

  const price = { amount: 100, currency: 'EUR' };
  it.each([
    ['a negative price', { sku: 'BAD-1', name: 'x', price: { amount: -1, currency: 'EUR' } }],
    ['a lower-case currency', { sku: 'BAD-2', name: 'x', price: { amount: 1, currency: 'eur' } }],
    ['an unknown currency', { sku: 'BAD-3', name: 'x', price: { amount: 1, currency: 'XYZ' } }],
    ['an empty sku', { sku: '   ', name: 'x', price }],
    ['an empty name', { sku: 'BAD-4', name: '', price }],
    ['a negative stock', { sku: 'BAD-5', name: 'x', price, stock: -3 }],
    ['a 65-character sku', { sku: 'S'.repeat(65), name: 'x', price }],
  ])('createProduct rejects %s with BAD_USER_INPUT and writes nothing', async (_, input) => {
    expect(await codesOf(test.admin.request(CreateProductDocument, { input }))).toEqual(['BAD_USER_INPUT']);
    const listed = await test.anonymous.request(ProductsDocument, { search: input.sku.trim() || 'BAD-' });
    expect(listed.products.edges.filter((edge) => edge.node.sku === input.sku)).toEqual([]);
  });

  it('rejects a non-integer price before any resolver runs', async () => {
    const result = await test.admin.execute(CreateProductDocument, {
      input: { sku: 'BAD-6', name: 'x', price: { amount: 1.5, currency: 'EUR' } },
    });
    expect(result.errors?.map((error) => error.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toMatch(/Int/);
  });

  it('rejects a duplicate sku with CONFLICT and keeps the first product', async () => {
    await test.admin.request(CreateProductDocument, { input: { sku: 'DUP-1', name: 'First', price } });
    expect(await codesOf(test.admin.request(CreateProductDocument, { input: { sku: 'DUP-1', name: 'Second', price } }))).toEqual([
      'CONFLICT',
    ]);
    const { products } = await test.anonymous.request(ProductsDocument, { search: 'DUP-1' });
    expect(products.edges.map((edge) => edge.node.name)).toEqual(['First']);
  });

  it.each([
    ['an unknown id', '00000000-0000-4000-8000-000000000000', { name: 'x' }],
    ['a malformed id', 'nope', { name: 'x' }],
    ['an empty name', null, { name: ' ' }],
    ['a negative price', null, { price: { amount: -10, currency: 'EUR' } }],
    ['a bad currency', null, { price: { amount: 10, currency: 'euro' } }],
  ])('updateProduct rejects %s with BAD_USER_INPUT and changes nothing', async (_, id, input) => {
    const [product] = await createProducts(test.admin, 1);
    const target = id ?? product!.id;
    expect(await codesOf(test.admin.request(UpdateProductDocument, { id: target, input }))).toEqual(['BAD_USER_INPUT']);
    const { product: after } = await test.anonymous.request(ProductDocument, { id: product!.id });
    expect(after).toEqual(product);
  });

  it.each([
    ['quantity 0', 0],
    ['quantity -2', -2],
    ['a quantity that would take the stock past 2^31 - 1', 2_147_483_600],
  ])('restockProduct rejects %s with BAD_USER_INPUT and changes nothing', async (_, quantity) => {
    const [product] = await createProducts(test.admin, 1);
    expect(await codesOf(test.admin.request(RestockProductDocument, { id: product!.id, quantity }))).toEqual(['BAD_USER_INPUT']);
    const { product: after } = await test.anonymous.request(ProductDocument, { id: product!.id });
    expect(after?.stock).toBe(product!.stock);
  });

  it('restockProduct rejects an unknown id with BAD_USER_INPUT', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(await codesOf(test.admin.request(RestockProductDocument, { id, quantity: 1 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses admin mutations to anonymous callers (UNAUTHENTICATED) and customers (FORBIDDEN)', async () => {
    const input = { sku: 'AUTH-1', name: 'x', price };
    expect(await codesOf(test.anonymous.request(CreateProductDocument, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(await codesOf(customer.request(CreateProductDocument, { input }))).toEqual(['FORBIDDEN']);
    const [product] = await createProducts(test.admin, 1);
    expect(await codesOf(customer.request(UpdateProductDocument, { id: product!.id, input: { name: 'hacked' } }))).toEqual([
      'FORBIDDEN',
    ]);
    expect(await codesOf(customer.request(RestockProductDocument, { id: product!.id, quantity: 5 }))).toEqual(['FORBIDDEN']);
    const { products } = await test.anonymous.request(ProductsDocument, { search: 'AUTH-1' });
    expect(products.totalCount).toBe(0);
  });
});
