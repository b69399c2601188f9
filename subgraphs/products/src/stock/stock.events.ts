import type { Kysely } from 'kysely';
import { createEvent, type DomainEventOf } from '@shop/events';
import type { EventHandlers, Outbox } from '@shop/outbox';
import type { ProductsDatabase } from '../product/product.table.js';
import { findOrderOnRecord, insertReservations, reservationRows, reserveStock, settleOrder } from './stock.repository.js';

class OutOfStock extends Error {
  constructor(readonly productId: string) {
    super(`product ${productId} cannot cover its line`);
  }
}

/**
 * The products side of the checkout saga: reserve stock for a placed order
 * (all lines or none), sell it when the order is confirmed, release it when
 * the order is cancelled.
 *
 * One order's events may arrive in any order (a redelivery after a crash, a
 * relay that published a newer row while an older one's lease ran), so each
 * outcome is remembered, and OrderPlaced applies the outcome it finds: a
 * cancelled order's late OrderPlaced holds nothing and asks for no payment.
 * A duplicate changes nothing, with no inbox record: once an OrderPlaced was
 * handled its lines are on record (reserved, released or rejected), and an
 * outcome only moves lines still RESERVED.
 */
export function stockEventHandlers(db: Kysely<ProductsDatabase>, outbox: Outbox<ProductsDatabase>): EventHandlers {
  return {
    OrderPlaced: (event) => reserveForOrder(outbox, event),
    async OrderConfirmed(event) {
      await settleOrder(db, event.data.orderId, 'CONFIRMED', new Date());
    },
    async OrderCancelled(event) {
      await settleOrder(db, event.data.orderId, 'CANCELLED', new Date());
    },
  };
}

async function reserveForOrder(outbox: Outbox<ProductsDatabase>, event: DomainEventOf<'OrderPlaced'>): Promise<void> {
  const { orderId, customerId, items, total, paymentToken } = event.data;
  const now = new Date();
  // Lock product rows in id order so concurrent reservations cannot deadlock.
  const lines = [...items].sort((a, b) => a.productId.localeCompare(b.productId));
  try {
    await outbox.transaction(async (trx, emit) => {
      const { outcome, linesOnRecord } = await findOrderOnRecord(trx, orderId);
      if (linesOnRecord) return; // handled before: a duplicate
      if (outcome === 'CANCELLED') {
        // Cancelled before its lines got here: the lines are on record, no unit moves, nothing is charged.
        await insertReservations(trx, orderId, lines, 'RELEASED', now);
        return;
      }
      for (const line of lines) {
        if (!(await reserveStock(trx, line.productId, line.quantity, now))) throw new OutOfStock(line.productId);
      }
      await insertReservations(trx, orderId, lines, 'RESERVED', now);
      // A confirmation cannot overtake its own reservation in the saga; should one ever
      // be recorded first, the units are sold at once rather than held for good.
      if (outcome === 'CONFIRMED') await settleOrder(trx, orderId, 'CONFIRMED', now);
      emit(createEvent('StockReserved', orderId, { orderId, customerId, amount: total, paymentToken }, now));
    });
  } catch (error) {
    if (!(error instanceof OutOfStock)) throw error;
    // The reservation rolled back whole; record the lines as rejected and say so, in one statement.
    // A duplicate handled meanwhile makes the insert fail on the lines' key, and this delivery is retried as a no-op.
    await outbox.writeWithEvents(
      (qc) => qc.insertInto('stock_reservations').values(reservationRows(orderId, lines, 'REJECTED', now)).returning('order_id'),
      [createEvent('StockRejected', orderId, { orderId, unavailableProductIds: [error.productId] }, now)],
    );
  }
}
