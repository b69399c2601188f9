import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createEvent } from '@shop/events';
import type { Outbox } from '@shop/outbox';
import { isUniqueViolation } from '@shop/database';
import {
  badUserInput,
  canRead,
  conflict,
  decodeCursor,
  isAdmin,
  parseFirst,
  parseId,
  requireUser,
  toConnection,
  type Connection,
  type Viewer,
} from '@shop/graphql';
import { findCatalogProducts } from '../catalog/catalog.repository.js';
import type { SagaOutcomes } from './order.metrics.js';
import type { OrderOutcome } from './order.model.js';
import type { PlaceOrderInput, QueryOrdersArgs } from '../__generated__/types.js';
import * as repository from './order.repository.js';
import type { OrderRow, OrdersDatabase } from './order.table.js';

type Db = Kysely<OrdersDatabase>;

/** A page of orders; `totalCount` runs its statement only when the field is asked for. */
export interface OrderPage extends Connection<OrderRow> {
  totalCount: () => Promise<number>;
}

/** Customers list their own orders; admins list everyone's. */
export async function listOrders(db: Db, viewer: Viewer, args: QueryOrdersArgs): Promise<OrderPage> {
  const userId = requireUser(viewer);
  const first = parseFirst(args.first);
  const after = decodeCursor(args.after);
  const filter = { customerId: isAdmin(viewer) ? null : userId, status: args.status ?? null };
  const rows = await repository.listOrders(db, filter, { limit: first + 1, after });
  return { ...toConnection(rows, first), totalCount: () => repository.countOrders(db, filter) };
}

/** What a write needs: the database, and the outbox that commits a change with its events. */
export interface WriteDeps {
  db: Db;
  outbox: Outbox<OrdersDatabase>;
  outcomes: SagaOutcomes;
}

const ORDER_LIMITS = { lines: 50, quantity: 1_000, key: 255, token: 255 } as const;
const MAX_INT = 2_147_483_647;

/**
 * Validates and prices an order against the catalog read model, stores it
 * PENDING and emits OrderPlaced in the same statement. The same key with
 * the same request returns the first order; with another request, CONFLICT.
 */
export async function placeOrder({ db, outbox }: WriteDeps, viewer: Viewer, input: PlaceOrderInput, now = new Date()): Promise<OrderRow> {
  const customerId = requireUser(viewer);
  const idempotencyKey = input.idempotencyKey;
  if (idempotencyKey.length < 1 || idempotencyKey.length > ORDER_LIMITS.key) {
    throw badUserInput(`input.idempotencyKey must be 1 to ${ORDER_LIMITS.key} characters, got ${idempotencyKey.length}`, 'input.idempotencyKey');
  }
  const paymentToken = input.paymentToken.trim();
  if (paymentToken.length < 1 || paymentToken.length > ORDER_LIMITS.token) {
    throw badUserInput(`input.paymentToken must be 1 to ${ORDER_LIMITS.token} characters, got ${paymentToken.length}`, 'input.paymentToken');
  }
  const items = parseItems(input.items);
  const fingerprint = requestFingerprint(items, paymentToken);

  // No look-up of the key first: a first request (nearly all of them) goes straight to
  // the insert, and a retry meets the key's unique constraint there (handled below).
  // A retry the catalog would now refuse (a product archived since) still gets its order.
  let lines: Awaited<ReturnType<typeof priceLines>>;
  let total: number;
  try {
    lines = await priceLines(db, items);
    total = lines.reduce((sum, line) => sum + line.unit_price_amount * line.quantity, 0);
    if (total > MAX_INT) throw badUserInput(`The order total ${total} exceeds the largest amount, ${MAX_INT} minor units`, 'input.items');
  } catch (error) {
    const existing = await repository.findOrderByIdempotencyKey(db, customerId, idempotencyKey);
    if (existing) return sameRequestOrConflict(existing, fingerprint);
    throw error;
  }
  const currency = lines[0]!.currency;

  const orderId = randomUUID();
  try {
    const placed = createEvent('OrderPlaced', orderId, {
      orderId,
      customerId,
      items: lines.map((line) => ({ productId: line.product_id, quantity: line.quantity, unitPrice: { amount: line.unit_price_amount, currency } })),
      total: { amount: total, currency },
      paymentToken,
    }, now);
    // One statement: the order, its lines and OrderPlaced commit together (no BEGIN/COMMIT round trips).
    const [order] = await outbox.writeWithEvents(
      (db) =>
        repository.orderInsert(db, {
          id: orderId,
          customer_id: customerId,
          status: 'PENDING',
          cancellation_reason: null,
          total_amount: total,
          currency,
          idempotency_key: idempotencyKey,
          request_fingerprint: fingerprint,
          created_at: now,
          updated_at: now,
        }, lines),
      [placed],
    );
    if (!order) throw new Error(`inserting order ${orderId} returned no row`);
    return order;
  } catch (error) {
    // A concurrent request with the same key committed first.
    if (!isUniqueViolation(error, 'orders_customer_idempotency_key')) throw error;
    const winner = await repository.findOrderByIdempotencyKey(db, customerId, idempotencyKey);
    if (!winner) throw error;
    return sameRequestOrConflict(winner, fingerprint);
  }
}

/** Cancels a PENDING order for its owner or an admin; the saga releases stock and refunds any charge. */
export async function cancelOrder(writes: WriteDeps, viewer: Viewer, id: string, now = new Date()): Promise<OrderRow> {
  requireUser(viewer);
  const orderId = parseId(id, 'id');
  const [order] = await repository.findOrdersByIds(writes.db, [orderId]);
  // Someone else's order is reported like a missing one: its existence is not theirs to know.
  if (!order || !canRead(viewer, order.customer_id)) throw badUserInput(`No order has id "${orderId}"`, 'id');
  const [cancelled] = await finishOrders(writes, { id: orderId }, { status: 'CANCELLED', reason: 'CUSTOMER_CANCELLED' }, now);
  if (!cancelled) {
    const [current] = await repository.findOrdersByIds(writes.db, [orderId]);
    throw conflict(`Only a PENDING order can be cancelled; order ${orderId} is ${current?.status ?? 'gone'}`);
  }
  return cancelled;
}

/** Which PENDING orders to finish: one (an event's, a customer's), or a batch of the oldest placed before a time (the sweeper's). */
export type PendingOrders = { id: string } | { placedBefore: Date; limit: number };

/**
 * The one way an order leaves PENDING, for every step of the saga that
 * finishes one (its events, the deadline sweeper, the customer's cancel):
 * each order moves to `outcome`, its OrderConfirmed or OrderCancelled is
 * written with it, and the outcome is counted once committed. Only a PENDING
 * order moves, so the first outcome wins whatever order they arrive in: a
 * late or repeated one changes nothing (payments refunds a charge that lands
 * on a cancelled order). Resolves with the orders it finished.
 *
 * One order is one statement (`outbox.changeAndEmit`: the hottest write of
 * the saga, no inbox record needed); a batch is one transaction.
 */
export async function finishOrders({ outbox, outcomes }: WriteDeps, which: PendingOrders, outcome: OrderOutcome, now = new Date()): Promise<OrderRow[]> {
  let finished: OrderRow[];
  if ('id' in which) {
    const order = await outbox.changeAndEmit((db) => repository.finishPendingOrder(db, which.id, outcome, now), finishedEvent(which.id, outcome, now));
    finished = order ? [order] : [];
  } else {
    finished = await outbox.transaction(async (trx, emit) => {
      const orders = await repository.finishPendingOrdersPlacedBefore(trx, which.placedBefore, which.limit, outcome, now);
      emit(...orders.map((order) => finishedEvent(order.id, outcome, now)));
      return orders;
    });
  }
  outcomes.record(outcome.status === 'CONFIRMED' ? 'CONFIRMED' : outcome.reason, finished.length);
  return finished;
}

function finishedEvent(orderId: string, outcome: OrderOutcome, now: Date) {
  return outcome.status === 'CONFIRMED'
    ? createEvent('OrderConfirmed', orderId, { orderId }, now)
    : createEvent('OrderCancelled', orderId, { orderId, reason: outcome.reason }, now);
}

function parseItems(items: PlaceOrderInput['items']): { productId: string; quantity: number }[] {
  if (items.length === 0) throw badUserInput('input.items must hold at least one line, got none', 'input.items');
  if (items.length > ORDER_LIMITS.lines) throw badUserInput(`input.items may hold at most ${ORDER_LIMITS.lines} lines, got ${items.length}`, 'input.items');
  const seen = new Set<string>();
  return items.map((item, index) => {
    const field = `input.items[${index}]`;
    const productId = parseId(item.productId, `${field}.productId`);
    if (seen.has(productId)) throw badUserInput(`${field}.productId repeats product ${productId}: give each product one line`, `${field}.productId`);
    seen.add(productId);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > ORDER_LIMITS.quantity) {
      throw badUserInput(`${field}.quantity must be between 1 and ${ORDER_LIMITS.quantity}, got ${item.quantity}`, `${field}.quantity`);
    }
    return { productId, quantity: item.quantity };
  });
}

/** Prices each line from the catalog read model; unknown or archived products and mixed currencies are bad input. */
async function priceLines(db: Db, items: { productId: string; quantity: number }[]) {
  const catalog = new Map((await findCatalogProducts(db, items.map((item) => item.productId))).map((row) => [row.product_id, row]));
  const lines = items.map((item, index) => {
    const product = catalog.get(item.productId);
    if (!product) throw badUserInput(`input.items[${index}].productId: no product has id "${item.productId}"`, `input.items[${index}].productId`);
    if (!product.active) {
      throw badUserInput(`input.items[${index}].productId: product ${product.sku} is archived and cannot be ordered`, `input.items[${index}].productId`);
    }
    return { line_number: index + 1, product_id: item.productId, quantity: item.quantity, unit_price_amount: product.price_amount, currency: product.currency };
  });
  const currencies = [...new Set(lines.map((line) => line.currency))];
  if (currencies.length > 1) throw badUserInput(`All items of an order must share one currency, got ${currencies.join(', ')}`, 'input.items');
  return lines;
}

function requestFingerprint(items: { productId: string; quantity: number }[], paymentToken: string): string {
  const canonical = [...items].sort((a, b) => a.productId.localeCompare(b.productId)).map((item) => `${item.productId}:${item.quantity}`);
  return createHash('sha256').update(JSON.stringify({ items: canonical, paymentToken })).digest('hex');
}

function sameRequestOrConflict(existing: OrderRow, fingerprint: string): OrderRow {
  if (existing.request_fingerprint === fingerprint) return existing;
  throw conflict(`idempotencyKey "${existing.idempotency_key}" was already used for order ${existing.id} with other items or payment token`);
}
