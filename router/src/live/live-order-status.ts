import { GraphQLError, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { EventTransport, Watch } from '@shop/events';
import { ErrorCode, type Viewer } from '@shop/graphql';
import { Counter, Gauge, type Logger, type Registry } from '@shop/observability';
import type { OrderStatusQuery } from './order-status-query.js';

/** Statuses after which an order never changes again: its subscription completes. */
const FINAL_STATUSES: ReadonlySet<unknown> = new Set(['CONFIRMED', 'CANCELLED']);
/** Retries of an update whose query failed (orders unreachable, say), then every last delay. */
const RETRY_DELAYS_MS = [500, 1_000, 2_000, 5_000];

/** What a subscriber is sent: errors as GraphQLError, as graphql-ws and graphql-sse serialise them. */
export type LiveResult = ExecutionResult<Record<string, unknown>>;

/** Runs one update's query through the gateway, as the subscriber; errors already formatted (masked) by the router. */
export type RunQuery = (query: OrderStatusQuery, variables: Record<string, unknown>, viewer: Viewer) => Promise<FormattedExecutionResult<Record<string, unknown>>>;

export interface FollowRequest {
  query: OrderStatusQuery;
  variables: Record<string, unknown>;
  viewer: Viewer;
  /** When the subscriber's token expires (ms since epoch): the subscription ends then, with UNAUTHENTICATED. */
  expiresAtMs: number | undefined;
  transport: 'websocket' | 'sse';
}

const error = (message: string, code: string): GraphQLError => new GraphQLError(message, { extensions: { code } });

/** A formatted error as a GraphQLError that serialises to the same JSON. */
const fromFormatted = (formatted: GraphQLFormattedError): GraphQLError =>
  new GraphQLError(formatted.message, { ...(formatted.path ? { path: formatted.path } : {}), ...(formatted.extensions ? { extensions: formatted.extensions } : {}) });

/**
 * The router's live order status: each subscriber follows one order. The
 * router watches the order events (every router sees every event), and on an
 * event for a followed order runs each of its subscribers' queries again,
 * sending the result when the status changed. Events only say "look again":
 * what is sent is always read through the gateway, so a lost, duplicated or
 * reordered event changes nothing but when an update is sent, and after a
 * broker outage (`gap`) every subscription looks again.
 */
export class LiveOrderStatus {
  readonly #followers = new Map<string, Set<Follower>>();
  /** Open subscriptions per user, for the per-client limit. */
  readonly #perUser = new Map<string, number>();
  readonly #open: Gauge;
  readonly #delivered: Counter;
  #watch: Watch | undefined;
  #closed = false;

  constructor(
    private readonly runQuery: RunQuery,
    metrics: Registry,
    private readonly logger: Logger,
  ) {
    this.#open = new Gauge({ name: 'shop_router_subscriptions_open', help: 'Subscriptions open on this router, by transport', labelNames: ['transport'], registers: [metrics] });
    this.#delivered = new Counter({ name: 'shop_router_subscription_updates_total', help: 'Updates sent to subscribers (the first answer included), by transport', labelNames: ['transport'], registers: [metrics] });
  }

  /** Starts watching the order events. */
  async start(events: EventTransport): Promise<void> {
    this.#watch = await events.watch('orders.>', {
      next: (_subject, envelope) => {
        const orderId = (envelope.data as { orderId?: unknown } | null)?.orderId ?? envelope.aggregateId;
        if (typeof orderId === 'string') this.#changed(orderId);
      },
      gap: () => {
        this.logger.info({ subscriptions: this.size }, 'order events may have been missed (broker reconnect): every subscription looks again');
        for (const followers of this.#followers.values()) for (const follower of followers) follower.refresh();
      },
    });
  }

  /** Subscriptions open now. */
  get size(): number {
    let size = 0;
    for (const followers of this.#followers.values()) size += followers.size;
    return size;
  }

  /** Subscriptions `userId` has open on this router. */
  openFor(userId: string): number {
    return this.#perUser.get(userId) ?? 0;
  }

  /**
   * Follows one order for one subscriber: the first result at once, then one
   * per status change, ending after a final status (or with an error).
   */
  follow(request: FollowRequest): AsyncIterableIterator<LiveResult> {
    if (this.#closed) throw new Error('the router is stopping');
    const { orderId } = request.query;
    const userId = request.viewer.userId ?? '';
    const followers = this.#followers.get(orderId) ?? new Set<Follower>();
    this.#followers.set(orderId, followers);
    const follower = new Follower(request, this.runQuery, this.logger, {
      delivered: () => this.#delivered.inc({ transport: request.transport }),
      ended: () => {
        followers.delete(follower);
        if (followers.size === 0 && this.#followers.get(orderId) === followers) this.#followers.delete(orderId);
        this.#open.dec({ transport: request.transport });
        const left = this.openFor(userId) - 1;
        if (left > 0) this.#perUser.set(userId, left);
        else this.#perUser.delete(userId);
      },
    });
    // Registered before the first read: an event that arrives during it makes the follower read again.
    followers.add(follower);
    this.#perUser.set(userId, this.openFor(userId) + 1);
    this.#open.inc({ transport: request.transport });
    follower.refresh();
    return follower;
  }

  /** Ends every subscription (the router is stopping) and stops watching. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const followers of [...this.#followers.values()]) for (const follower of [...followers]) follower.end();
    await this.#watch?.stop();
  }

  #changed(orderId: string): void {
    const followers = this.#followers.get(orderId);
    if (followers) for (const follower of followers) follower.refresh();
  }
}

/** One subscriber's view of one order: an async iterator of results, fed by refresh(). */
class Follower implements AsyncIterableIterator<LiveResult> {
  readonly #queue: LiveResult[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #reading = false;
  #readAgain = false;
  #lastStatus: unknown;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly request: FollowRequest,
    private readonly runQuery: RunQuery,
    private readonly logger: Logger,
    private readonly hooks: { delivered(): void; ended(): void },
  ) {
    const { expiresAtMs } = request;
    if (expiresAtMs !== undefined) {
      this.#expiryTimer = setTimeout(() => this.fail(error('The token has expired; subscribe again with a new one', ErrorCode.Unauthenticated)), Math.max(0, expiresAtMs - Date.now()));
    }
  }

  /** Reads the order again; while a read runs, one more read follows it. */
  refresh(): void {
    if (this.#ended) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = true;
    void this.#read().finally(() => {
      this.#reading = false;
    });
  }

  async #read(): Promise<void> {
    do {
      this.#readAgain = false;
      clearTimeout(this.#retryTimer);
      let result: FormattedExecutionResult<Record<string, unknown>>;
      try {
        result = await this.runQuery(this.request.query, this.request.variables, this.request.viewer);
      } catch (failure) {
        this.logger.warn({ err: failure, orderId: this.request.query.orderId }, 'live order status: reading the order failed');
        result = { errors: [{ message: 'The order could not be read', extensions: { code: ErrorCode.InternalServerError } }] };
      }
      if (this.#ended) return;
      this.#apply(result);
    } while (this.#readAgain && !this.#ended);
  }

  #apply(result: FormattedExecutionResult<Record<string, unknown>>): void {
    const { responseKey, statusKey, statusAdded, orderId } = this.request.query;
    const order = result.data?.[responseKey] as Record<string, unknown> | null | undefined;
    const first = this.#lastStatus === undefined;
    if (order == null) {
      if (first && !result.errors?.length) {
        // What order(id) answers with null (not the viewer's, or no such order), a subscription refuses.
        return this.fail(error(`No order ${orderId} that you may follow: only its customer or an admin can`, ErrorCode.Forbidden));
      }
      if (first) return this.fail(...(result.errors ?? []).map(fromFormatted));
      // Known order, failed read (orders unreachable for a moment): the status is read again shortly.
      const delay = RETRY_DELAYS_MS[Math.min(this.#failures++, RETRY_DELAYS_MS.length - 1)]!;
      this.#retryTimer = setTimeout(() => this.refresh(), delay);
      return;
    }
    this.#failures = 0;
    const status = order[statusKey];
    if (status === this.#lastStatus) return;
    this.#lastStatus = status;
    let data = result.data!;
    if (statusAdded) {
      const { [statusKey]: _added, ...rest } = order;
      data = { ...data, [responseKey]: rest };
    }
    this.#push(result.errors?.length ? { data, errors: result.errors.map(fromFormatted) } : { data });
    this.hooks.delivered();
    if (FINAL_STATUSES.has(status)) this.end();
  }

  /** Sends errors as the last result and ends. */
  fail(...errors: GraphQLError[]): void {
    if (this.#ended) return;
    this.#push({ errors });
    this.end();
  }

  /** Ends the subscription: what is queued is still delivered, then the iterator is done. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#expiryTimer);
    this.hooks.ended();
    this.#wake?.();
  }

  #push(result: LiveResult): void {
    this.#queue.push(result);
    this.#wake?.();
  }

  async next(): Promise<IteratorResult<LiveResult>> {
    while (this.#queue.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    const value = this.#queue.shift();
    return value === undefined ? { done: true, value: undefined } : { done: false, value };
  }

  /** The subscriber left (complete message, closed socket or stream). */
  async return(): Promise<IteratorResult<LiveResult>> {
    this.#queue.length = 0;
    this.end();
    return { done: true, value: undefined };
  }

  async throw(): Promise<IteratorResult<LiveResult>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveResult> {
    return this;
  }
}
