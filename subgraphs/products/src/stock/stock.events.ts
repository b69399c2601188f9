import type { Kysely } from 'kysely';
import { createEvent, type DomainEventOf } from '@shop/events';
import { appendToOutbox, applyOnce, type EventHandlers } from '@shop/outbox';
import type { ProductsDatabase } from '../product/product.table.js';
import { insertReservations, reserveStock, settleReservations } from './stock.repository.js';

/** Inbox name of this consumer: one record per applied event. */
const CONSUMER = 'products';

class OutOfStock extends Error {
  constructor(readonly productId: string) {
    super(`product ${productId} cannot cover its line`);
  }
}

/**
 * The products side of the checkout saga: reserve stock for a placed order
 * (all lines or none), sell it when the order is confirmed, release it when
 * the order is cancelled.
 */
export function stockEventHandlers(db: Kysely<ProductsDatabase>, notifyOutbox: () => void): EventHandlers {
  return {
    async OrderPlaced(event) {
      await reserveForOrder(db, event);
      notifyOutbox();
    },
    async OrderConfirmed(event) {
      await applyOnce(db, CONSUMER, event.id, (trx) => settleReservations(trx, event.data.orderId, 'SOLD', new Date()).then(() => undefined));
    },
    async OrderCancelled(event) {
      await applyOnce(db, CONSUMER, event.id, (trx) => settleReservations(trx, event.data.orderId, 'RELEASED', new Date()).then(() => undefined));
    },
  };
}

async function reserveForOrder(db: Kysely<ProductsDatabase>, event: DomainEventOf<'OrderPlaced'>): Promise<void> {
  const { orderId, customerId, items, total, paymentToken } = event.data;
  const now = new Date();
  // Lock product rows in id order so concurrent reservations cannot deadlock.
  const lines = [...items].sort((a, b) => a.productId.localeCompare(b.productId));
  try {
    await applyOnce(db, CONSUMER, event.id, async (trx) => {
      for (const line of lines) {
        if (!(await reserveStock(trx, line.productId, line.quantity, now))) throw new OutOfStock(line.productId);
      }
      await insertReservations(trx, orderId, lines, now);
      await appendToOutbox(trx, [createEvent('StockReserved', orderId, { orderId, customerId, amount: total, paymentToken }, now)]);
    });
  } catch (error) {
    if (!(error instanceof OutOfStock)) throw error;
    // The reservation rolled back whole; record the rejection instead.
    await applyOnce(db, CONSUMER, event.id, (trx) =>
      appendToOutbox(trx, [createEvent('StockRejected', orderId, { orderId, unavailableProductIds: [error.productId] }, now)]),
    );
  }
}
