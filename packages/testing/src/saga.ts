import { OrderDocument, OrdersDocument, type OrderFieldsFragment, type ShopClient } from '@shop/sdk';
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
 * The invariants of the checkout saga (ARCHITECTURE.md), read straight from
 * the three databases and the provider. Returns what is violated; [] when all hold:
 * - for every product, received = available + reserved + sold, and reserved
 *   equals its open reservations;
 * - every CONFIRMED order has exactly one SUCCEEDED payment of its total and
 *   exactly one unrefunded charge at the provider;
 * - no CANCELLED order keeps an unrefunded charge or an open reservation;
 * - no payment of a finished order is left PENDING;
 * - nothing is reserved and no charge is kept for an order that is not
 *   PENDING (or that the orders subgraph does not know);
 * - no order is PENDING for longer than `deadlineMs` (when given).
 */
export async function sagaInvariantViolations(test: TestSupergraph, options: { deadlineMs?: number } = {}): Promise<string[]> {
  const { products, orders, payments } = test.supergraph;
  if (!products || !orders || !payments) throw new Error('invariants need every subgraph');
  const violations: string[] = [];

  const ledger = await products.database.db.selectFrom('products').selectAll().execute();
  const reservations = await products.database.db.selectFrom('stock_reservations').selectAll().execute();
  for (const product of ledger) {
    const sum = product.stock_available + product.stock_reserved + product.stock_sold;
    if (sum !== product.stock_received) {
      violations.push(`product ${product.sku}: received ${product.stock_received} != available ${product.stock_available} + reserved ${product.stock_reserved} + sold ${product.stock_sold}`);
    }
    const open = reservations.filter((r) => r.product_id === product.id && r.status === 'RESERVED').reduce((total, r) => total + r.quantity, 0);
    if (open !== product.stock_reserved) violations.push(`product ${product.sku}: reserved ${product.stock_reserved} but open reservations hold ${open}`);
  }

  const orderRows = await orders.database.db.selectFrom('orders').selectAll().execute();
  const paymentRows = await payments.database.db.selectFrom('payments').selectAll().execute();
  const charges = await providerCharges(test);
  const now = Date.now();
  for (const order of orderRows) {
    const orderPayments = paymentRows.filter((payment) => payment.order_id === order.id);
    const liveCharges = charges.filter((charge) => charge.reference === order.id && charge.status === 'succeeded');
    const openReservations = reservations.filter((r) => r.order_id === order.id && r.status === 'RESERVED');
    if (order.status === 'CONFIRMED') {
      const succeeded = orderPayments.filter((payment) => payment.status === 'SUCCEEDED');
      if (succeeded.length !== 1 || succeeded[0]!.amount !== order.total_amount) {
        violations.push(`CONFIRMED order ${order.id}: ${succeeded.length} succeeded payments (${succeeded.map((p) => p.amount).join(', ')}), total ${order.total_amount}`);
      }
      if (liveCharges.length !== 1 || liveCharges[0]!.amount !== order.total_amount) {
        violations.push(`CONFIRMED order ${order.id}: ${liveCharges.length} charges kept at the provider`);
      }
      if (openReservations.length > 0) violations.push(`CONFIRMED order ${order.id}: ${openReservations.length} reservations neither sold nor released`);
    }
    if (order.status === 'CANCELLED') {
      if (liveCharges.length > 0) violations.push(`CANCELLED order ${order.id} (${order.cancellation_reason}): keeps ${liveCharges.length} charges`);
      if (orderPayments.some((payment) => payment.status === 'SUCCEEDED')) violations.push(`CANCELLED order ${order.id}: a payment is still SUCCEEDED`);
      if (openReservations.length > 0) violations.push(`CANCELLED order ${order.id}: keeps ${openReservations.length} reservations`);
    }
    if (order.status !== 'PENDING' && orderPayments.some((payment) => payment.status === 'PENDING')) {
      violations.push(`${order.status} order ${order.id}: its payment is stuck PENDING`);
    }
    if (order.status === 'PENDING' && options.deadlineMs !== undefined && now - order.created_at.getTime() > options.deadlineMs) {
      violations.push(`order ${order.id} PENDING past the deadline`);
    }
  }
  // Nothing is held or charged for an order that is not (or no longer) in progress,
  // including orders the orders subgraph never heard of.
  const statusOf = new Map(orderRows.map((order) => [order.id, order.status]));
  for (const reservation of reservations.filter((r) => r.status === 'RESERVED' && statusOf.get(r.order_id) !== 'PENDING')) {
    violations.push(`order ${reservation.order_id} (${statusOf.get(reservation.order_id) ?? 'unknown'}): ${reservation.quantity} units still reserved`);
  }
  for (const charge of charges.filter((c) => c.status === 'succeeded' && !['CONFIRMED', 'PENDING'].includes(statusOf.get(c.reference) ?? 'unknown'))) {
    violations.push(`charge ${charge.id} kept at the provider for order ${charge.reference} (${statusOf.get(charge.reference) ?? 'unknown'})`);
  }
  return violations;
}
