/**
 * Follows orders to their final status by listening to the orders
 * subgraph's own events on NATS (`orders.order-confirmed`,
 * `orders.order-cancelled`), the way a client of a live status would, so
 * the load generator neither spends CPU on polling nor adds polls to the
 * load it measures. A plain NATS subscription sees every message published
 * on the stream's subjects; nothing is acknowledged or consumed.
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface OrderOutcome {
  status: 'CONFIRMED' | 'CANCELLED';
  reason: string | null;
  /** performance.now() when this process received the event. */
  at: number;
}

interface OrderEvent {
  type?: string;
  data?: { orderId?: string; reason?: string };
}

export class OrderOutcomeWatcher {
  /** Outcomes nobody waits for yet (an event can beat placeOrder's answer). */
  private readonly early = new Map<string, OrderOutcome>();
  private readonly waiting = new Map<string, (outcome: OrderOutcome) => void>();

  private constructor(
    private readonly connection: NatsConnection,
    private readonly subscription: Subscription,
  ) {
    void this.listen();
  }

  /** `namespace`: the cluster's NATS namespace (its subjects are `<namespace>.orders.…`). */
  static async start(natsUrl: string, namespace: string): Promise<OrderOutcomeWatcher> {
    const connection = await connect({ servers: natsUrl, name: 'bench-order-outcomes' });
    const subscription = connection.subscribe(`${namespace}.orders.*`);
    await connection.flush();
    return new OrderOutcomeWatcher(connection, subscription);
  }

  private async listen(): Promise<void> {
    for await (const message of this.subscription) {
      const at = performance.now();
      const event = message.json<OrderEvent>();
      const orderId = event.data?.orderId;
      if (!orderId) continue;
      const outcome: OrderOutcome | undefined =
        event.type === 'OrderConfirmed' ? { status: 'CONFIRMED', reason: null, at }
        : event.type === 'OrderCancelled' ? { status: 'CANCELLED', reason: event.data?.reason ?? null, at }
        : undefined;
      if (!outcome) continue;
      const resolve = this.waiting.get(orderId);
      if (resolve) {
        this.waiting.delete(orderId);
        resolve(outcome);
      } else if (!this.early.has(orderId)) {
        // The first outcome wins; a relay may publish a row twice.
        this.early.set(orderId, outcome);
      }
    }
  }

  /** The order's outcome, or undefined after `timeoutMs` (the caller then asks the API). */
  outcome(orderId: string, timeoutMs: number): Promise<OrderOutcome | undefined> {
    const known = this.early.get(orderId);
    if (known) {
      this.early.delete(orderId);
      return Promise.resolve(known);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(orderId);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(orderId, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  }

  /** Forgets outcomes of orders nobody asked about (e.g. placed by another driver). */
  forgetUnclaimed(): void {
    this.early.clear();
  }

  async close(): Promise<void> {
    this.subscription.unsubscribe();
    await this.connection.close();
  }
}
