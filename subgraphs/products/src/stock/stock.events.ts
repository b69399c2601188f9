import type { Kysely } from 'kysely';
import { createEvent, type DomainEventOf } from '@shop/events';
import type { EventHandlers, Outbox } from '@shop/outbox';
import type { ProductsDatabase } from '../product/product.table.js';
import { findOrderOnRecord, findOutcome, insertReservations, reservationRows, reserveStock, settleOrder } from './stock.repository.js';
import type { OrderOutcome } from './stock.table.js';

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
 *
 * Replicas of products share the durable consumer, so one order's OrderPlaced
 * and OrderCancelled can be handled at the same moment by two processes (one
 * process handles an order's events one after another). Under READ COMMITTED
 * neither may then see what the other is writing: the cancellation's
 * statement started before the reservation committed and found no line to
 * release, while the reservation read no outcome before the cancellation
 * committed. Each side therefore looks once more after its own commit, when
 * it may have missed the other: the reservation for an outcome recorded
 * meanwhile, an outcome that moved nothing for lines committed meanwhile.
 * Whichever of the two commits last sees the other's work.
 */
export function stockEventHandlers(db: Kysely<ProductsDatabase>, outbox: Outbox<ProductsDatabase>): EventHandlers {
  return {
    OrderPlaced: (event) => reserveForOrder(db, outbox, event),
    OrderConfirmed: (event) => settle(db, event.data.orderId, 'CONFIRMED'),
    OrderCancelled: (event) => settle(db, event.data.orderId, 'CANCELLED'),
  };
}

async function settle(db: Kysely<ProductsDatabase>, orderId: string, outcome: OrderOutcome): Promise<void> {
  if ((await settleOrder(db, orderId, outcome, new Date())) > 0) return;
  // Nothing moved: the lines are not here yet, already settled, or being reserved by another replica right now
  // and invisible to that statement. Once more, now that this outcome is committed (see above).
  await settleOrder(db, orderId, outcome, new Date());
}

async function reserveForOrder(db: Kysely<ProductsDatabase>, outbox: Outbox<ProductsDatabase>, event: DomainEventOf<'OrderPlaced'>): Promise<void> {
  const { orderId, customerId, items, total, paymentToken } = event.data;
  const now = new Date();
  // Lock product rows in id order so concurrent reservations cannot deadlock.
  const lines = [...items].sort((a, b) => a.productId.localeCompare(b.productId));
  /** Lines RESERVED by this delivery or an earlier one: look for an outcome once they are committed. */
  let lookForOutcome = false;
  try {
    await outbox.transaction(async (trx, emit) => {
      const { outcome, linesOnRecord } = await findOrderOnRecord(trx, orderId);
      if (linesOnRecord) {
        // Handled before: a duplicate. That delivery's process may have died before it looked for an outcome.
        lookForOutcome = true;
        return;
      }
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
      lookForOutcome = true;
    });
  } catch (error) {
    if (!(error instanceof OutOfStock)) throw error;
    // The reservation rolled back whole; record the lines as rejected and say so, in one statement.
    // A duplicate handled meanwhile makes the insert fail on the lines' key, and this delivery is retried as a no-op.
    await outbox.writeWithEvents(
      (qc) => qc.insertInto('stock_reservations').values(reservationRows(orderId, lines, 'REJECTED', now)).returning('order_id'),
      [createEvent('StockRejected', orderId, { orderId, unavailableProductIds: [error.productId] }, now)],
    );
    return;
  }
  if (!lookForOutcome) return;
  // An outcome another replica recorded while these lines were being reserved did not see them (see above).
  const outcome = await findOutcome(db, orderId);
  if (outcome) await settleOrder(db, orderId, outcome, new Date());
}
