import { describe, expect, it } from 'vitest';
import { sagaViolations, type SagaSnapshot } from '../invariants.js';

const created = new Date('2026-11-29T12:00:00Z');
const order = (id: string, status: string, reason: string | null = null) => ({ id, customer_id: 'alice', status, cancellation_reason: reason, total_amount: 500, idempotency_key: `key-${id}`, created_at: created });

/** One confirmed order (sold, paid, charged once) and one cancelled (released, refunded): every rule holds. */
function healthy(): SagaSnapshot {
  return {
    orders: [order('o1', 'CONFIRMED'), order('o2', 'CANCELLED', 'CUSTOMER_CANCELLED')],
    payments: [
      { id: 'p1', order_id: 'o1', status: 'SUCCEEDED', amount: 500, attempts: 1 },
      { id: 'p2', order_id: 'o2', status: 'REFUNDED', amount: 500, attempts: 1 },
    ],
    products: [{ id: 'x', sku: 'MUG', stock_received: 10, stock_available: 9, stock_reserved: 0, stock_sold: 1 }],
    reservations: [
      { order_id: 'o1', product_id: 'x', quantity: 1, status: 'SOLD' },
      { order_id: 'o2', product_id: 'x', quantity: 1, status: 'RELEASED' },
    ],
    charges: [
      { id: 'c1', reference: 'o1', amount: 500, status: 'succeeded' },
      { id: 'c2', reference: 'o2', amount: 500, status: 'refunded' },
    ],
  };
}

const rules = (snapshot: SagaSnapshot, options?: Parameters<typeof sagaViolations>[1]) => sagaViolations(snapshot, options).map((violation) => violation.rule);

describe('saga invariants', () => {
  it('hold for a confirmed and a cancelled order settled as they should be', () => {
    expect(rules(healthy(), { atRest: true })).toEqual([]);
  });

  it('catch a cancelled order that keeps its charge, and a confirmed one charged twice', () => {
    const snapshot = healthy();
    const charges = [...snapshot.charges.slice(0, 1), { id: 'c2', reference: 'o2', amount: 500, status: 'succeeded' }, { id: 'c3', reference: 'o1', amount: 500, status: 'succeeded' }];
    expect(rules({ ...snapshot, charges })).toEqual(
      expect.arrayContaining(['CONFIRMED without exactly one kept charge of its total', 'CANCELLED keeps a charge', 'charge kept for an order not confirmed']),
    );
  });

  it('catch units held for a cancelled order and an unbalanced ledger', () => {
    const snapshot = healthy();
    const reservations = [snapshot.reservations[0]!, { order_id: 'o2', product_id: 'x', quantity: 1, status: 'RESERVED' }];
    const products = [{ ...snapshot.products[0]!, stock_reserved: 1 }];
    expect(rules({ ...snapshot, reservations, products }, { atRest: true })).toEqual(
      expect.arrayContaining(['stock ledger unbalanced', 'units reserved for a finished order', 'stock reserved at rest']),
    );
  });

  it('catch what is still PENDING at rest, or past the deadline otherwise', () => {
    const snapshot = { ...healthy(), orders: [...healthy().orders, order('o3', 'PENDING')], payments: [...healthy().payments, { id: 'p3', order_id: 'o3', status: 'PENDING', amount: 500, attempts: 0 }] };
    expect(rules(snapshot, { atRest: true })).toEqual(['order PENDING at rest', 'payment PENDING at rest']);
    expect(rules(snapshot, { deadlineMs: 60_000, now: created.getTime() + 61_000 })).toEqual(['order PENDING past the deadline']);
    expect(rules(snapshot, { deadlineMs: 60_000, now: created.getTime() + 1_000 })).toEqual([]);
  });
});
