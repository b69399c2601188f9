import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createEvent } from '@shop/events';
import { insertOrder } from '@shop/orders';
import { appendToOutbox } from '@shop/outbox';
import { createOrderableProducts, describeDatabase, sagaInvariantViolations, settle, startTestSupergraph, type TestSupergraph } from '@shop/testing';
import { graphql, ORDER_STATUS, PLACE_ORDER } from './http-client.js';

/** Customers placing orders at once; each is a distinct customer with a token of its own. */
export const CONCURRENCY_LEVELS = [1, 10, 50] as const;
/** Sleep between two status polls: the measured time-to-CONFIRMED overshoots by up to this plus one poll round trip. */
const POLL_INTERVAL_MS = 10;
/**
 * Every order is for this one product: the worst case for contention, since
 * every reservation, sale and ledger update hits the same stock row.
 */
const PRODUCT_STOCK = 1_000_000;
const PAYMENT_TOKEN = 'tok_visa';
/** Sequential orders placed and discarded before the first level (JIT, pools, query plans). */
const WARMUP_ORDERS = 10;
/** Past the saga deadline (60 s in the test supergraph): a PENDING order this old is a bug, not a slow saga. */
const ORDER_TIMEOUT_MS = 65_000;
/** Database-level outbox measurement: transactions per variant, after a discarded warm-up of each. */
const OUTBOX_TRANSACTIONS = 500;
const OUTBOX_WARMUP = 50;
const OUTBOX_CUSTOMER = 'bench-outbox';


export interface CheckoutLevel {
  concurrency: number;
  ordersPlaced: number;
  confirmed: number;
  notConfirmed: number;
  wallSeconds: number;
  confirmedPerSecond: number;
  timeToConfirmedP50Ms: number;
  timeToConfirmedP99Ms: number;
  placeOrderP50Ms: number;
  placeOrderP99Ms: number;
  /** Status polls sent per second over the level: load the pollers themselves put on router and orders. */
  pollsPerSecond: number;
}

export interface Percentiles {
  p50Ms: number;
  p99Ms: number;
}

export interface OutboxCost {
  transactionsPerVariant: number;
  warmupPerVariant: number;
  withoutOutbox: Percentiles;
  withOutbox: Percentiles;
  p50DifferenceMs: number;
  p50DifferencePercent: number;
  /** End to end through the router, from the saga run at concurrency 1, for scale. */
  routerPlaceOrderP50Ms: number;
}

export interface CheckoutResults {
  context: {
    database: string;
    transport: string;
    durationSeconds: number;
    concurrencyLevels: readonly number[];
    pollIntervalMs: number;
    products: number;
    stockPerProduct: number;
    linesPerOrder: number;
    quantityPerLine: number;
    paymentToken: string;
    placeOrderOperation: string;
    pollOperation: string;
  };
  levels: CheckoutLevel[];
  outbox: OutboxCost;
}

interface OrderSample {
  placeOrderMs: number;
  /** From sending placeOrder to receiving the poll that shows the final status. */
  outcomeMs: number;
  status: string;
  cancellationReason: string | null;
  polls: number;
}

/** A level stops on the first failure of any customer: the others see this and finish their current order. */
interface RunControl {
  until: number;
  failed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function percentiles(samples: readonly number[], digits = 1): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50), digits), p99Ms: round(percentile(sorted, 99), digits) };
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));


/** Places one order and polls it until it leaves PENDING. */
async function placeAndAwait(url: string, token: string, productId: string): Promise<OrderSample> {
  const start = performance.now();
  const { placeOrder } = await graphql<{ placeOrder: { id: string; status: string } }>(url, token, PLACE_ORDER, {
    input: { items: [{ productId, quantity: 1 }], paymentToken: PAYMENT_TOKEN, idempotencyKey: `bench-${randomUUID()}` },
  });
  const placeOrderMs = performance.now() - start;
  if (placeOrder.status !== 'PENDING') throw new Error(`placeOrder returned order ${placeOrder.id} ${placeOrder.status}, expected PENDING`);
  for (let polls = 1; ; polls += 1) {
    await sleep(POLL_INTERVAL_MS);
    const { order } = await graphql<{ order: { status: string; cancellationReason: string | null } | null }>(url, token, ORDER_STATUS, {
      id: placeOrder.id,
    });
    if (!order) throw new Error(`order ${placeOrder.id} is not visible to the customer who placed it`);
    const elapsed = performance.now() - start;
    if (order.status !== 'PENDING') return { placeOrderMs, outcomeMs: elapsed, status: order.status, cancellationReason: order.cancellationReason, polls };
    if (elapsed > ORDER_TIMEOUT_MS) throw new Error(`order ${placeOrder.id} still PENDING after ${ORDER_TIMEOUT_MS} ms`);
  }
}

/** A customer placing orders back to back until the level's time is up (the order in flight then completes). */
async function customer(url: string, token: string, productId: string, control: RunControl, samples: OrderSample[]): Promise<void> {
  try {
    while (!control.failed && performance.now() < control.until) samples.push(await placeAndAwait(url, token, productId));
  } catch (error) {
    control.failed = true;
    throw error;
  }
}

async function runLevel(test: TestSupergraph, concurrency: number, durationSeconds: number, productId: string): Promise<CheckoutLevel> {
  const tokens = await Promise.all(Array.from({ length: concurrency }, (_, index) => test.token(`bench-${index}`, ['customer'])));
  const samples: OrderSample[] = [];
  const start = performance.now();
  const control: RunControl = { until: start + durationSeconds * 1000, failed: false };
  const outcomes = await Promise.allSettled(tokens.map((token) => customer(test.url, token, productId, control, samples)));
  const wallSeconds = (performance.now() - start) / 1000;
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw new Error(`Checkout at ${concurrency} concurrent customers failed: ${String(failure.reason)}`, { cause: failure.reason });

  const confirmed = samples.filter((sample) => sample.status === 'CONFIRMED');
  const others = samples.filter((sample) => sample.status !== 'CONFIRMED');
  if (others.length > 0) {
    const tally = new Map<string, number>();
    for (const { status, cancellationReason } of others) {
      const key = cancellationReason ? `${status} (${cancellationReason})` : status;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    const breakdown = [...tally].map(([outcome, count]) => `${count} × ${outcome}`).join(', ');
    throw new Error(
      `Checkout at ${concurrency} concurrent customers: ${others.length} of ${samples.length} orders did not end CONFIRMED (${breakdown}); ` +
        `with ${PAYMENT_TOKEN} and ample stock every order must confirm. Aborting.`,
    );
  }
  const toConfirmed = percentiles(confirmed.map((sample) => sample.outcomeMs));
  const placeOrder = percentiles(samples.map((sample) => sample.placeOrderMs));
  return {
    concurrency,
    ordersPlaced: samples.length,
    confirmed: confirmed.length,
    notConfirmed: others.length,
    wallSeconds: round(wallSeconds, 2),
    confirmedPerSecond: round(confirmed.length / wallSeconds),
    timeToConfirmedP50Ms: toConfirmed.p50Ms,
    timeToConfirmedP99Ms: toConfirmed.p99Ms,
    placeOrderP50Ms: placeOrder.p50Ms,
    placeOrderP99Ms: placeOrder.p99Ms,
    pollsPerSecond: Math.round(samples.reduce((total, sample) => total + sample.polls, 0) / wallSeconds),
  };
}

/** Lets the saga come to rest and aborts unless every invariant holds. */
async function settleAndCheck(test: TestSupergraph, after: string): Promise<void> {
  await settle(test);
  const violations = await sagaInvariantViolations(test);
  if (violations.length > 0) {
    const shown = violations.slice(0, 20).join('\n  ');
    throw new Error(`Saga invariants violated after ${after} (${violations.length}):\n  ${shown}${violations.length > 20 ? '\n  …' : ''}`);
  }
}

/**
 * The price of the transactional outbox, at the database: transactions that
 * insert an order with one line, without and with the OrderPlaced outbox row
 * placeOrder writes next to it. The variants alternate, so drift (table
 * growth, autovacuum, a noisy neighbour) weighs on both alike. The orders'
 * relay is stopped meanwhile so these events never reach the running saga;
 * their rows are deleted before it restarts. The orders are written CANCELLED
 * (CUSTOMER_CANCELLED), which the deadline sweeper and the invariants accept.
 */
async function measureOutboxCost(test: TestSupergraph, product: { id: string; amount: number; currency: string }): Promise<Pick<OutboxCost, 'withoutOutbox' | 'withOutbox'>> {
  const orders = test.supergraph.orders;
  if (!orders) throw new Error('The outbox measurement needs the orders subgraph');
  const db = orders.database.db;
  const eventIds: string[] = [];
  const timings = { without: [] as number[], with: [] as number[] };

  async function transaction(withOutbox: boolean): Promise<number> {
    const orderId = randomUUID();
    const now = new Date();
    const start = performance.now();
    await db.transaction().execute(async (trx) => {
      await insertOrder(
        trx,
        {
          id: orderId,
          customer_id: OUTBOX_CUSTOMER,
          status: 'CANCELLED',
          cancellation_reason: 'CUSTOMER_CANCELLED',
          total_amount: product.amount,
          currency: product.currency,
          idempotency_key: `bench-outbox-${orderId}`,
          request_fingerprint: randomUUID(),
          created_at: now,
          updated_at: now,
        },
        [{ line_number: 1, product_id: product.id, quantity: 1, unit_price_amount: product.amount, currency: product.currency }],
      );
      if (withOutbox) {
        const event = createEvent(
          'OrderPlaced',
          orderId,
          {
            orderId,
            customerId: OUTBOX_CUSTOMER,
            items: [{ productId: product.id, quantity: 1, unitPrice: { amount: product.amount, currency: product.currency } }],
            total: { amount: product.amount, currency: product.currency },
            paymentToken: PAYMENT_TOKEN,
          },
          now,
        );
        eventIds.push(event.envelope.id);
        await appendToOutbox(trx, [event]);
      }
    });
    return performance.now() - start;
  }

  await orders.messaging.stopRelay();
  try {
    for (let index = 0; index < OUTBOX_WARMUP + OUTBOX_TRANSACTIONS; index += 1) {
      // Alternate which variant goes first in each pair.
      const order = index % 2 === 0 ? [false, true] : [true, false];
      for (const withOutbox of order) {
        const ms = await transaction(withOutbox);
        if (index >= OUTBOX_WARMUP) (withOutbox ? timings.with : timings.without).push(ms);
      }
    }
  } finally {
    for (let from = 0; from < eventIds.length; from += 500) {
      await db.deleteFrom('outbox').where('id', 'in', eventIds.slice(from, from + 500)).execute();
    }
    orders.messaging.startRelay();
  }
  // Sub-millisecond on a local database: two decimals.
  return { withoutOutbox: percentiles(timings.without, 2), withOutbox: percentiles(timings.with, 2) };
}

function levelsTable(levels: readonly CheckoutLevel[]): string {
  return [
    '| concurrent customers | orders placed | confirmed/s | time-to-CONFIRMED p50 ms | time-to-CONFIRMED p99 ms | placeOrder p50 ms | placeOrder p99 ms | status polls/s | not CONFIRMED |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...levels.map(
      (level) =>
        `| ${level.concurrency} | ${level.ordersPlaced} | ${level.confirmedPerSecond} | ${level.timeToConfirmedP50Ms} | ${level.timeToConfirmedP99Ms} | ` +
        `${level.placeOrderP50Ms} | ${level.placeOrderP99Ms} | ${level.pollsPerSecond} | ${level.notConfirmed} |`,
    ),
  ].join('\n');
}

function outboxTable(outbox: OutboxCost): string {
  const sign = outbox.p50DifferenceMs >= 0 ? '+' : '';
  return [
    '| transaction on the orders database | transactions | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: |',
    `| insertOrder (order + 1 line) | ${outbox.transactionsPerVariant} | ${outbox.withoutOutbox.p50Ms} | ${outbox.withoutOutbox.p99Ms} |`,
    `| insertOrder + appendToOutbox(OrderPlaced) | ${outbox.transactionsPerVariant} | ${outbox.withOutbox.p50Ms} | ${outbox.withOutbox.p99Ms} |`,
    `| difference at p50 | | ${sign}${outbox.p50DifferenceMs} (${sign}${outbox.p50DifferencePercent} %) | |`,
    `| for scale: placeOrder through the router, 1 customer (part 1) | | ${outbox.routerPlaceOrderP50Ms} | |`,
  ].join('\n');
}

/**
 * The checkout saga under load, on a supergraph of its own (the read
 * scenario's seeded orders have no provider charges, which the saga's
 * invariants would rightly flag).
 */
export async function runCheckout(options: { durationSeconds: number }): Promise<CheckoutResults> {
  const test = await startTestSupergraph();
  try {
    const [product] = await createOrderableProducts(test, 1, { stock: PRODUCT_STOCK });
    if (!product) throw new Error('No product was created');
    const context: CheckoutResults['context'] = {
      database: describeDatabase(test.supergraph.databaseHost!.config),
      transport: test.supergraph.transport.kind === 'jetstream' ? 'NATS JetStream' : 'in-process',
      durationSeconds: options.durationSeconds,
      concurrencyLevels: CONCURRENCY_LEVELS,
      pollIntervalMs: POLL_INTERVAL_MS,
      products: 1,
      stockPerProduct: PRODUCT_STOCK,
      linesPerOrder: 1,
      quantityPerLine: 1,
      paymentToken: PAYMENT_TOKEN,
      placeOrderOperation: PLACE_ORDER,
      pollOperation: ORDER_STATUS,
    };
    console.log(
      `\nCheckout saga: database ${context.database}, events ${context.transport}; test tuning (relay poll 50 ms, woken on commit).\n` +
        `Each customer (bench-0…bench-N, a token each) places orders back to back for ${options.durationSeconds} s: 1 line, quantity 1, ${PAYMENT_TOKEN}, ` +
        `all for ONE product (stock ${PRODUCT_STOCK.toLocaleString('en')}: worst-case contention on its stock row).\n` +
        `Time-to-CONFIRMED runs from sending placeOrder to receiving the poll that shows CONFIRMED; polls of \`order(id) { status }\` ` +
        `are ${POLL_INTERVAL_MS} ms apart (sleep between a response and the next poll), so it overshoots by up to ${POLL_INTERVAL_MS} ms + one poll round trip. ` +
        `confirmed/s = confirmed orders / wall time of the level (until the last in-flight order finished). ` +
        `${WARMUP_ORDERS} sequential orders warm up first; the saga is settled and its invariants checked after each level. ` +
        `Router, subgraphs, provider simulator and these customers all share this one Node process, so the pollers compete with the saga for CPU.`,
    );

    const warmupToken = await test.token('bench-warmup', ['customer']);
    for (let index = 0; index < WARMUP_ORDERS; index += 1) {
      const sample = await placeAndAwait(test.url, warmupToken, product.id);
      if (sample.status !== 'CONFIRMED') throw new Error(`Warm-up order ended ${sample.status} (${sample.cancellationReason}), expected CONFIRMED. Aborting.`);
    }
    await settleAndCheck(test, 'the warm-up');

    const levels: CheckoutLevel[] = [];
    for (const concurrency of CONCURRENCY_LEVELS) {
      console.error(`load: checkout, ${concurrency} concurrent customer${concurrency === 1 ? '' : 's'}…`);
      levels.push(await runLevel(test, concurrency, options.durationSeconds, product.id));
      await settleAndCheck(test, `the level with ${concurrency} concurrent customers`);
    }
    console.log(`\n${levelsTable(levels)}\n`);

    console.error('load: outbox cost at the database…');
    const measured = await measureOutboxCost(test, { id: product.id, amount: product.price.amount, currency: product.price.currency });
    await settleAndCheck(test, 'the outbox measurement');
    const differenceMs = measured.withOutbox.p50Ms - measured.withoutOutbox.p50Ms;
    const outbox: OutboxCost = {
      transactionsPerVariant: OUTBOX_TRANSACTIONS,
      warmupPerVariant: OUTBOX_WARMUP,
      ...measured,
      p50DifferenceMs: round(differenceMs, 2),
      p50DifferencePercent: round((differenceMs / measured.withoutOutbox.p50Ms) * 100),
      routerPlaceOrderP50Ms: levels[0]!.placeOrderP50Ms,
    };
    console.log(
      `Cost of the outbox: ${OUTBOX_TRANSACTIONS} sequential transactions per variant (after ${OUTBOX_WARMUP} discarded), variants alternating, ` +
        `straight on the orders database handle (${context.database}), orders relay stopped meanwhile. ` +
        `Timed from BEGIN to COMMIT; placeOrder also reads the idempotency key and the catalog before its transaction.\n`,
    );
    console.log(`${outboxTable(outbox)}\n`);
    return { context, levels, outbox };
  } finally {
    await test.stop();
  }
}
