import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, type OutboxTables } from '@shop/outbox';
import { PlaceOrderDocument, type ShopClient } from '@shop/sdk';
import { createOrderableProducts, sagaInvariantViolations, settle, startTestSupergraph, waitForOutcome, type TestSupergraph } from '@shop/testing';

let test: TestSupergraph;
let alice: ShopClient;
const SUBGRAPHS = ['products', 'orders', 'payments'] as const;

beforeAll(async () => {
  test = await startTestSupergraph();
  alice = await test.customer('alice');
});
afterAll(() => test?.stop());

function dbOf(subgraph: (typeof SUBGRAPHS)[number]): Kysely<OutboxTables> {
  return test.supergraph[subgraph]!.database.db as unknown as Kysely<OutboxTables>;
}

async function rows(subgraph: (typeof SUBGRAPHS)[number]) {
  const db = dbOf(subgraph);
  const outbox = await db.selectFrom('outbox').select(['id', 'published_at']).execute();
  const inbox = await db.selectFrom('inbox').select('event_id').execute();
  return { published: outbox.filter((row) => row.published_at !== null).length, unpublished: outbox.filter((row) => row.published_at === null).length, inbox: inbox.length };
}

async function checkout(productId: string, idempotencyKey: string) {
  const { placeOrder } = await alice.request(PlaceOrderDocument, { input: { items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey } });
  return placeOrder;
}

describe('outbox and inbox retention', () => {
  it('deletes published outbox rows and inbox records past the retention, keeps events still owed, and the saga goes on', async () => {
    const [product] = await createOrderableProducts(test, 1, { stock: 5 });
    const first = await checkout(product!.id, 'retention-1');
    expect((await waitForOutcome(alice, first.id)).status).toBe('CONFIRMED');
    await settle(test);
    for (const subgraph of SUBGRAPHS) {
      const counts = await rows(subgraph);
      expect(counts.published, `${subgraph} published rows`).toBeGreaterThan(0);
      // Only the orders catalog (ProductChanged) records an inbox: every other handler is
      // idempotent by its own data (an order's status, its stock lines, the payment's state).
      if (subgraph === 'orders') expect(counts.inbox, `${subgraph} inbox records`).toBeGreaterThan(0);
    }

    // Nothing is old enough yet: a pass now deletes nothing.
    for (const subgraph of SUBGRAPHS) expect(await test.supergraph[subgraph]!.messaging.prune()).toEqual({ outbox: 0, inbox: 0 });

    // An event still owed to the broker: written, not published.
    await test.supergraph.orders!.messaging.stopRelay();
    const second = await checkout(product!.id, 'retention-2');

    // A pass as if the retention period had gone by.
    const later = new Date(Date.now() + DEFAULT_RETENTION.retainForMs + 60_000);
    for (const subgraph of SUBGRAPHS) {
      const before = await rows(subgraph);
      const pruned = await test.supergraph[subgraph]!.messaging.prune(later);
      expect(pruned, subgraph).toEqual({ outbox: before.published, inbox: before.inbox });
      expect(await rows(subgraph), subgraph).toEqual({ published: 0, unpublished: before.unpublished, inbox: 0 });
    }
    expect((await rows('orders')).unpublished).toBe(1);

    // The owed event goes out once the relay is back, and the saga finishes it.
    test.supergraph.orders!.messaging.startRelay();
    expect((await waitForOutcome(alice, second.id)).status).toBe('CONFIRMED');
    await settle(test);
    expect(await sagaInvariantViolations(test)).toEqual([]);
  });
});
