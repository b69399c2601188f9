import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createEvent, type DomainEventOf, type OutgoingEvent } from '@shop/events';
import { createOutbox, type EventHandlers } from '@shop/outbox';
import { ADMIN, customer, startSubgraphUnderTest, type GraphQLAnswer, type SubgraphUnderTest } from '@shop/subgraph-kit/testing';
import { startProductsSubgraph, stockEventHandlers, type ProductsSubgraph } from '../index.js';

let products: SubgraphUnderTest<ProductsSubgraph>;

beforeAll(async () => {
  products = await startSubgraphUnderTest((options) => startProductsSubgraph({ ...options, seedDemoData: false }));
});
afterAll(() => products?.stop());

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateProductInput!) {
    createProduct(input: $input) { id sku name stock active price { amount currency } }
  }
`;

interface CreatedProduct {
  id: string;
  sku: string;
  stock: number;
}

/** Creates a product as an admin; `tag` goes into its sku and name so a test can search for its own products. */
async function createProduct(tag: string, input: { amount?: number; stock?: number } = {}): Promise<CreatedProduct> {
  const sku = `${tag}-${randomUUID().slice(0, 8)}`;
  const { data, errors } = await products.request<{ createProduct: CreatedProduct }>(
    CREATE,
    { input: { sku, name: `Product ${sku}`, price: { amount: input.amount ?? 1_000, currency: 'EUR' }, stock: input.stock ?? 10 } },
    ADMIN,
  );
  expect(errors).toBeUndefined();
  return data!.createProduct;
}

describe('createProduct', () => {
  it.each([
    ['a negative amount', { amount: -1, currency: 'EUR' }, 'input.price.amount'],
    ['a lower-case currency', { amount: 100, currency: 'eur' }, 'input.price.currency'],
    ['a currency that is not ISO-4217', { amount: 100, currency: 'XXY' }, 'input.price.currency'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and writes nothing', async (_, price, field) => {
    const sku = `bad-${randomUUID().slice(0, 8)}`;
    const { data, errors } = await products.request(CREATE, { input: { sku, name: 'Mug', price } }, ADMIN);
    expect(data).toBeNull();
    expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field } })]);
    const written = await products.subgraph.database.db.selectFrom('products').select('id').where('sku', '=', sku).execute();
    expect(written).toEqual([]);
  });

  it('refuses a blank name with the field input.name', async () => {
    const { errors } = await products.request(CREATE, { input: { sku: 'blank-name', name: '   ', price: { amount: 1, currency: 'EUR' } } }, ADMIN);
    expect(errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.name' });
  });

  it('is for admins only: a customer gets FORBIDDEN, nobody UNAUTHENTICATED', async () => {
    const input = { sku: 'not-mine', name: 'Mug', price: { amount: 1, currency: 'EUR' } };
    expect((await products.request(CREATE, { input }, customer('alice'))).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect((await products.request(CREATE, { input })).errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('stores the product and announces it with ProductChanged in the same unit of work; a second product with its sku is a CONFLICT', async () => {
    const product = await createProduct('announced', { amount: 2_500, stock: 7 });
    expect(product).toMatchObject({ stock: 7, active: true, price: { amount: 2_500, currency: 'EUR' } });
    expect(await products.emitted(product.id)).toEqual([
      expect.objectContaining({
        type: 'ProductChanged',
        data: { productId: product.id, sku: product.sku, name: `Product ${product.sku}`, price: { amount: 2_500, currency: 'EUR' }, active: true },
      }),
    ]);
    const again = await products.request(CREATE, { input: { sku: product.sku, name: 'Other', price: { amount: 1, currency: 'EUR' } } }, ADMIN);
    expect(again.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
  });
});

describe('products: newest first, keyset pages', () => {
  const PAGE = /* GraphQL */ `
    query Page($first: Int, $after: String, $search: String) {
      products(first: $first, after: $after, search: $search) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
    }
  `;
  type Page = { products: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

  it('pages through every matching product once, newest first, and counts them', async () => {
    const tag = `paged${randomUUID().slice(0, 6)}`;
    const created: CreatedProduct[] = [];
    for (let index = 0; index < 5; index++) created.push(await createProduct(tag));
    const rows = await products.subgraph.database.db.selectFrom('products').select(['id', 'created_at']).where('sku', 'like', `${tag}-%`).execute();
    const newestFirst = rows.sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || b.id.localeCompare(a.id)).map((row) => row.id);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { data, errors }: GraphQLAnswer<Page> = await products.request<Page>(PAGE, { first: 2, after, search: tag });
      expect(errors).toBeUndefined();
      expect(data!.products.totalCount).toBe(5);
      seen.push(...data!.products.edges.map((edge) => edge.node.id));
      if (!data!.products.pageInfo.hasNextPage) break;
      after = data!.products.pageInfo.endCursor;
    }
    expect(seen).toEqual(newestFirst);
  });

  it('refuses a cursor it did not issue with BAD_USER_INPUT on after, before any SQL', async () => {
    const { errors } = await products.request(PAGE, { after: 'bm90IGEgY3Vyc29y' });
    expect(errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('entity references', () => {
  it('answers _entities in the order asked, a forged id with null', async () => {
    const [first, second] = [await createProduct('entity'), await createProduct('entity')];
    const { data } = await products.request<{ _entities: ({ id: string; sku: string } | null)[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id sku } } }`,
      {
        representations: [
          { __typename: 'Product', id: second!.id },
          { __typename: 'Product', id: "x' or '1'='1" },
          { __typename: 'Product', id: first!.id.toUpperCase() },
          { __typename: 'Product', id: randomUUID() },
        ],
      },
    );
    expect(data!._entities).toEqual([{ id: second!.id, sku: second!.sku }, null, { id: first!.id, sku: first!.sku }, null]);
  });
});

describe('stock in the checkout saga', () => {
  const stockOf = async (id: string) =>
    products.subgraph.database.db.selectFrom('products').select(['stock_available', 'stock_reserved', 'stock_sold']).where('id', '=', id).executeTakeFirstOrThrow();
  const placed = (orderId: string, lines: { productId: string; quantity: number }[]) =>
    createEvent('OrderPlaced', orderId, {
      orderId,
      customerId: 'alice',
      items: lines.map((line) => ({ ...line, unitPrice: { amount: 1_000, currency: 'EUR' } })),
      total: { amount: 1_000 * lines.reduce((sum, line) => sum + line.quantity, 0), currency: 'EUR' },
      paymentToken: 'tok_visa',
    });

  it('reserves every line of a placed order and asks for its payment; a confirmation sells the units', async () => {
    const product = await createProduct('reserved', { stock: 5 });
    const orderId = randomUUID();
    await products.deliver(placed(orderId, [{ productId: product.id, quantity: 2 }]));
    expect(await stockOf(product.id)).toEqual({ stock_available: 3, stock_reserved: 2, stock_sold: 0 });
    expect(await products.emitted(orderId)).toEqual([
      expect.objectContaining({ type: 'StockReserved', data: { orderId, customerId: 'alice', amount: { amount: 2_000, currency: 'EUR' }, paymentToken: 'tok_visa' } }),
    ]);

    await products.deliver(createEvent('OrderConfirmed', orderId, { orderId }));
    expect(await stockOf(product.id)).toEqual({ stock_available: 3, stock_reserved: 0, stock_sold: 2 });
  });

  it('holds nothing when one line cannot be covered, and says which product with StockRejected', async () => {
    const [plenty, scarce] = [await createProduct('plenty', { stock: 10 }), await createProduct('scarce', { stock: 1 })];
    const orderId = randomUUID();
    await products.deliver(placed(orderId, [{ productId: plenty!.id, quantity: 3 }, { productId: scarce!.id, quantity: 2 }]));
    expect(await stockOf(plenty!.id)).toEqual({ stock_available: 10, stock_reserved: 0, stock_sold: 0 });
    expect(await stockOf(scarce!.id)).toEqual({ stock_available: 1, stock_reserved: 0, stock_sold: 0 });
    expect((await products.emitted(orderId)).map(({ type, data }) => ({ type, data }))).toEqual([
      { type: 'StockRejected', data: { orderId, unavailableProductIds: [scarce!.id] } },
    ]);
  });

  it('gives reserved units back when the order is cancelled, once however often the cancellation arrives', async () => {
    const product = await createProduct('released', { stock: 4 });
    const orderId = randomUUID();
    await products.deliver(placed(orderId, [{ productId: product.id, quantity: 4 }]));
    const cancelled = createEvent('OrderCancelled', orderId, { orderId, reason: 'PAYMENT_DECLINED' });
    await products.deliver(cancelled);
    await products.deliver(createEvent('OrderCancelled', orderId, { orderId, reason: 'PAYMENT_DECLINED' }));
    expect(await stockOf(product.id)).toEqual({ stock_available: 4, stock_reserved: 0, stock_sold: 0 });
  });

  // Two processes only meet on Postgres: PGlite has one connection, which serializes everything.
  it.skipIf(!process.env['DATABASE_URL'])(
    'releases the units when another replica handles the cancellation while this one is reserving them (neither sees the other until it commits)',
    async () => {
      const product = await createProduct('replicas', { stock: 3 });
      const orderId = randomUUID();
      const db = products.subgraph.database.db;
      // Two replicas' handlers on one database: this process's consumer would handle one order's events one after another.
      const replicaA = stockEventHandlers(db, createOutbox(db, () => undefined));
      const replicaB = stockEventHandlers(db, createOutbox(db, () => undefined));
      /** What the consumer does with a delivery, minus the decoding. */
      const handle = (handlers: EventHandlers, { subject, envelope }: OutgoingEvent) =>
        handlers[envelope.type as 'OrderPlaced']!(envelope as DomainEventOf<'OrderPlaced'>, { subject, data: new Uint8Array(), deliveryCount: 1 });
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const rowLocked = new Promise<void>((resolve) => (locked = resolve));
      // Hold the product row, so replica A's reservation waits after it has read that no outcome is recorded.
      const holder = db.transaction().execute(async (trx) => {
        await trx.selectFrom('products').select('id').where('id', '=', product.id).forUpdate().execute();
        locked();
        await released;
      });
      await rowLocked;
      const reserving = handle(replicaA, placed(orderId, [{ productId: product.id, quantity: 3 }]));
      await expect.poll(async () => (await sql<{ waiting: number }>`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db)).rows[0]?.waiting).toBe(1);
      // Replica B records the cancellation and finds no line to release: A's are not committed.
      await handle(replicaB, createEvent('OrderCancelled', orderId, { orderId, reason: 'CUSTOMER_CANCELLED' }));
      release();
      await Promise.all([holder, reserving]);
      expect(await stockOf(product.id)).toEqual({ stock_available: 3, stock_reserved: 0, stock_sold: 0 });
      const lines = await db.selectFrom('stock_reservations').select('status').where('order_id', '=', orderId).execute();
      expect(lines).toEqual([{ status: 'RELEASED' }]);
    },
  );
});
