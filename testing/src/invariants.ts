/**
 * The checkout saga's invariants (listed in docs/events.md) as one pure function of a
 * snapshot of the three databases and the provider's charges. Tests read the
 * snapshot through in-process handles (`sagaInvariantViolations`), the chaos
 * run and the bench through plain connections to a cluster of processes; the
 * rules are the same.
 */

export interface SagaSnapshot {
  orders: readonly { id: string; customer_id: string; status: string; cancellation_reason: string | null; total_amount: number; idempotency_key: string; created_at: Date }[];
  payments: readonly { id: string; order_id: string; status: string; amount: number; attempts: number }[];
  products: readonly { id: string; sku: string; stock_received: number; stock_available: number; stock_reserved: number; stock_sold: number }[];
  reservations: readonly { order_id: string; product_id: string; quantity: number; status: string }[];
  charges: readonly { id: string; reference: string; amount: number; status: string }[];
}

export interface Violation {
  /** A short, stable name of the rule, for counting. */
  rule: string;
  detail: string;
}

/**
 * What the snapshot violates; [] when all holds:
 * - for every product, received = available + reserved + sold, and reserved
 *   equals its open reservations;
 * - every CONFIRMED order has exactly one SUCCEEDED payment of its total and
 *   exactly one unrefunded charge of its total at the provider;
 * - no CANCELLED order keeps a charge, a SUCCEEDED payment or a reservation;
 * - no payment of a finished order is left PENDING;
 * - nothing is reserved and no charge is kept for an order that is not
 *   PENDING (or that the orders subgraph does not know);
 * - no idempotency key has two orders;
 * - with `deadlineMs`: no order is PENDING for longer than that;
 * - with `atRest` (nothing may be in flight): no order or payment is PENDING
 *   and no unit is reserved.
 */
export function sagaViolations(snapshot: SagaSnapshot, options: { deadlineMs?: number; atRest?: boolean; now?: number } = {}): Violation[] {
  const violations: Violation[] = [];
  const add = (rule: string, detail: string) => violations.push({ rule, detail });
  const paymentsByOrder = groupBy(snapshot.payments, (payment) => payment.order_id);
  const keptCharges = snapshot.charges.filter((charge) => charge.status === 'succeeded');
  const keptByOrder = groupBy(keptCharges, (charge) => charge.reference);
  const openReservations = snapshot.reservations.filter((reservation) => reservation.status === 'RESERVED');
  const openByOrder = groupBy(openReservations, (reservation) => reservation.order_id);
  const statusOf = new Map(snapshot.orders.map((order) => [order.id, order.status]));
  const now = options.now ?? Date.now();

  for (const product of snapshot.products) {
    if (product.stock_available + product.stock_reserved + product.stock_sold !== product.stock_received) {
      add('stock ledger unbalanced', `product ${product.sku}: received ${product.stock_received} != available ${product.stock_available} + reserved ${product.stock_reserved} + sold ${product.stock_sold}`);
    }
    const open = openReservations.filter((r) => r.product_id === product.id).reduce((sum, r) => sum + r.quantity, 0);
    if (open !== product.stock_reserved) add('stock reserved != open reservations', `product ${product.sku}: reserved ${product.stock_reserved} but open reservations hold ${open}`);
    if (options.atRest && product.stock_reserved !== 0) add('stock reserved at rest', `product ${product.sku}: ${product.stock_reserved} units still reserved`);
  }

  for (const order of snapshot.orders) {
    const payments = paymentsByOrder.get(order.id) ?? [];
    const kept = keptByOrder.get(order.id) ?? [];
    const label = `${order.status}${order.cancellation_reason ? ` (${order.cancellation_reason})` : ''} order ${order.id}`;
    if (order.status === 'CONFIRMED') {
      const succeeded = payments.filter((payment) => payment.status === 'SUCCEEDED');
      if (succeeded.length !== 1 || succeeded[0]!.amount !== order.total_amount) {
        add('CONFIRMED without one succeeded payment of its total', `${label}: ${succeeded.length} SUCCEEDED payment(s) (${succeeded.map((p) => p.amount).join(', ')}), total ${order.total_amount}`);
      }
      if (kept.length !== 1 || kept[0]!.amount !== order.total_amount) {
        add('CONFIRMED without exactly one kept charge of its total', `${label}: ${kept.length} kept charge(s) at the provider (${kept.map((c) => c.amount).join(', ')}), total ${order.total_amount}`);
      }
    }
    if (order.status === 'CANCELLED') {
      if (kept.length > 0) add('CANCELLED keeps a charge', `${label}: keeps ${kept.length} charge(s)`);
      if (payments.some((payment) => payment.status === 'SUCCEEDED')) add('CANCELLED with a SUCCEEDED payment', `${label}: a payment is still SUCCEEDED`);
    }
    if (order.status !== 'PENDING' && payments.some((payment) => payment.status === 'PENDING')) add('payment of a finished order PENDING', `${label}: its payment is stuck PENDING`);
    if (order.status === 'PENDING') {
      if (options.atRest) add('order PENDING at rest', `order ${order.id} (created ${order.created_at.toISOString()})`);
      else if (options.deadlineMs !== undefined && now - order.created_at.getTime() > options.deadlineMs) add('order PENDING past the deadline', `order ${order.id} PENDING past the deadline`);
    }
  }
  if (options.atRest) {
    for (const payment of snapshot.payments.filter((p) => p.status === 'PENDING')) {
      add('payment PENDING at rest', `payment ${payment.id} of order ${payment.order_id} (attempts ${payment.attempts})`);
    }
  }
  for (const [orderId, held] of openByOrder) {
    const status = statusOf.get(orderId);
    if (status !== 'PENDING') add('units reserved for a finished order', `order ${orderId} (${status ?? 'unknown'}): ${held.reduce((sum, r) => sum + r.quantity, 0)} units still reserved`);
  }
  for (const [orderId, kept] of keptByOrder) {
    const status = statusOf.get(orderId);
    if (status !== 'CONFIRMED' && status !== 'PENDING') add('charge kept for an order not confirmed', `order ${orderId} (${status ?? 'unknown'}): ${kept.length} charge(s) kept at the provider`);
  }
  for (const [key, orders] of groupBy(snapshot.orders, (order) => `${order.customer_id} / ${order.idempotency_key}`)) {
    if (orders.length > 1) add('idempotency key with two orders', `key ${key}: orders ${orders.map((order) => order.id).join(', ')}`);
  }
  return violations;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
