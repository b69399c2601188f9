import { OrderDocument, OrdersDocument, type OrderFieldsFragment, type ShopClient } from '@shop/sdk';
import { sagaViolations, type SagaSnapshot } from './invariants.js';
import type { TestSupergraph } from './supergraph.js';

/** Polls until the order leaves PENDING; fails after `timeoutMs`. */
export async function waitForOutcome(client: ShopClient, orderId: string, timeoutMs = 20_000): Promise<OrderFieldsFragment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { order } = await client.request(OrderDocument, { id: orderId });
    if (!order) throw new Error(`order ${orderId} is not visible to this client`);
    if (order.status !== 'PENDING') return order;
    if (Date.now() > deadline) throw new Error(`order ${orderId} still PENDING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits until the saga is at rest: no order PENDING, every outbox published,
 * every consumer caught up (events published are not yet events consumed),
 * and the invariants holding. Resolves on timeout too, so the
 * caller's own assertion on sagaInvariantViolations reports what is wrong.
 */
export async function settle(test: TestSupergraph, timeoutMs = 30_000, options: { deadlineMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { products, orders, payments } = test.supergraph;
  for (;;) {
    const { orders: pending } = await test.admin.request(OrdersDocument, { status: 'PENDING', first: 1 });
    if (pending.totalCount === 0) {
      const subgraphs = [products, orders, payments].filter((subgraph) => subgraph !== undefined);
      await Promise.all(subgraphs.map((subgraph) => subgraph.messaging.drainOutbox(Math.max(1, deadline - Date.now()))));
      const openPayments = await payments!.database.db.selectFrom('payments').select('id').where('status', '=', 'PENDING').execute();
      const caughtUp = (await test.supergraph.transport.unprocessed()) === 0;
      if (openPayments.length === 0 && caughtUp && (await sagaInvariantViolations(test, options)).length === 0) return;
    }
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ProviderCharge {
  id: string;
  reference: string;
  amount: number;
  currency: string;
  status: 'succeeded' | 'refunded';
}

/** Every charge the payment provider simulator has made. */
export async function providerCharges(test: TestSupergraph): Promise<ProviderCharge[]> {
  const provider = test.supergraph.paymentProvider;
  if (!provider) throw new Error('the test supergraph runs no payment provider');
  const response = await fetch(`${provider.url}/_admin/charges`);
  return (await response.json()) as ProviderCharge[];
}

/**
 * The invariants of the checkout saga (see `sagaViolations`), read straight
 * from the three databases and the provider; [] when all hold. With
 * `deadlineMs`, no order may be PENDING longer than that.
 */
export async function sagaInvariantViolations(test: TestSupergraph, options: { deadlineMs?: number } = {}): Promise<string[]> {
  const { products, orders, payments } = test.supergraph;
  if (!products || !orders || !payments) throw new Error('invariants need every subgraph');
  const snapshot: SagaSnapshot = {
    products: await products.database.db.selectFrom('products').selectAll().execute(),
    reservations: await products.database.db.selectFrom('stock_reservations').selectAll().execute(),
    orders: await orders.database.db.selectFrom('orders').selectAll().execute(),
    payments: await payments.database.db.selectFrom('payments').selectAll().execute(),
    charges: await providerCharges(test),
  };
  return sagaViolations(snapshot, options).map((violation) => violation.detail);
}

/** Sets the card provider simulator's faults (its `/_admin/faults`): `{ down: true }`, `{ latencyMs }`…; none clears them. */
export async function setProviderFaults(test: TestSupergraph, faults: { latencyMs?: number; down?: boolean } = {}): Promise<void> {
  const response = await fetch(`${test.supergraph.paymentProvider!.url}/_admin/faults`, {
    method: Object.keys(faults).length ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok) throw new Error(`the card provider's faults answered HTTP ${response.status}`);
}
