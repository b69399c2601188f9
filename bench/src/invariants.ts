/**
 * The checkout saga's invariants at rest, read straight from a cluster's three
 * databases and the provider's `/_admin/charges`: @shop/testing's
 * `sagaViolations` at rest (nothing PENDING, nothing reserved), plus every
 * outbox drained.
 */
import pg from 'pg';
import { sagaViolations, type SagaSnapshot, type Violation } from '@shop/testing';
import type { Cluster, SubgraphName } from './cluster.js';

/** application_name of the reader's connections. */
export const READER_APPLICATION_NAME = 'shop-bench-reader';

/** What is still moving: all zero at rest. */
export interface Motion {
  pendingOrders: number;
  pendingPayments: number;
  reservedRows: number;
  outboxBacklog: number;
  /** undefined when JetStream's consumers cannot be seen (a shared nats-server without monitoring). */
  consumerBacklog: number | undefined;
}

export function isQuiet(motion: Motion): boolean {
  return motion.pendingOrders + motion.pendingPayments + motion.reservedRows + motion.outboxBacklog + (motion.consumerBacklog ?? 0) === 0;
}

export type { Violation };

export interface SagaState extends SagaSnapshot {
  orders: { id: string; customer_id: string; status: string; cancellation_reason: string | null; total_amount: number; idempotency_key: string; created_at: Date }[];
  payments: { id: string; order_id: string; status: string; amount: number; failure_reason: string | null; attempts: number }[];
  products: { id: string; sku: string; stock_received: number; stock_available: number; stock_reserved: number; stock_sold: number }[];
  reservations: { order_id: string; product_id: string; quantity: number; status: string }[];
  charges: { id: string; reference: string; amount: number; status: string }[];
  /** Unpublished outbox rows per subgraph. */
  outboxBacklog: Record<SubgraphName, number>;
  /** Messages delivered but not acknowledged, or not yet delivered, over this run's durable consumers (private nats-server only). */
  consumerBacklog: number | undefined;
}

/** Reads the cluster's databases, the provider's ledger and (when it can) JetStream's consumers. */
export class SagaReader {
  #clients = new Map<SubgraphName, pg.Client>();

  constructor(private readonly cluster: Cluster) {}

  async #client(subgraph: SubgraphName): Promise<pg.Client> {
    const existing = this.#clients.get(subgraph);
    if (existing) return existing;
    // Named, so the cluster's CPU sampling leaves these backends out of the run's Postgres figure.
    const client = new pg.Client({ connectionString: this.cluster.databaseUrl(subgraph), application_name: READER_APPLICATION_NAME });
    // A connection terminated by a fault phase: forget it, reconnect on the next read.
    client.on('error', () => this.#clients.delete(subgraph));
    await client.connect();
    this.#clients.set(subgraph, client);
    return client;
  }

  async #query<T extends pg.QueryResultRow>(subgraph: SubgraphName, text: string): Promise<T[]> {
    try {
      return (await (await this.#client(subgraph)).query<T>(text)).rows;
    } catch (error) {
      const client = this.#clients.get(subgraph);
      this.#clients.delete(subgraph);
      await client?.end().catch(() => undefined);
      throw error;
    }
  }

  /** A few counts (cheap: the bench polls this while it measures CPU). */
  async motion(): Promise<Motion> {
    const count = async (subgraph: SubgraphName, text: string) => Number((await this.#query<{ count: string }>(subgraph, text))[0]?.count ?? 0);
    let outboxBacklog = 0;
    for (const subgraph of ['products', 'orders', 'payments'] as const) {
      outboxBacklog += await count(subgraph, `select count(*) as count from ${subgraph}.outbox where published_at is null`);
    }
    return {
      pendingOrders: await count('orders', `select count(*) as count from orders.orders where status = 'PENDING'`),
      pendingPayments: await count('payments', `select count(*) as count from payments.payments where status = 'PENDING'`),
      reservedRows: await count('products', `select count(*) as count from products.stock_reservations where status = 'RESERVED'`),
      outboxBacklog,
      consumerBacklog: await this.#consumerBacklog(),
    };
  }

  async read(): Promise<SagaState> {
    const orders = await this.#query<SagaState['orders'][number]>(
      'orders',
      'select id, customer_id, status, cancellation_reason, total_amount, idempotency_key, created_at from orders.orders',
    );
    const payments = await this.#query<SagaState['payments'][number]>('payments', 'select id, order_id, status, amount, failure_reason, attempts from payments.payments');
    const products = await this.#query<SagaState['products'][number]>(
      'products',
      'select id, sku, stock_received, stock_available, stock_reserved, stock_sold from products.products',
    );
    const reservations = await this.#query<SagaState['reservations'][number]>('products', 'select order_id, product_id, quantity, status from products.stock_reservations');
    const outboxBacklog = {} as Record<SubgraphName, number>;
    for (const subgraph of ['products', 'orders', 'payments'] as const) {
      const [row] = await this.#query<{ count: string }>(subgraph, `select count(*) as count from ${subgraph}.outbox where published_at is null`);
      outboxBacklog[subgraph] = Number(row?.count ?? 0);
    }
    const response = await fetch(`${this.cluster.providerUrl}/_admin/charges`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`provider /_admin/charges answered ${response.status}`);
    const charges = (await response.json()) as SagaState['charges'];
    return { orders, payments, products, reservations, charges, outboxBacklog, consumerBacklog: await this.#consumerBacklog() };
  }

  async #consumerBacklog(): Promise<number | undefined> {
    const monitor = this.cluster.natsMonitorUrl;
    if (!monitor) return undefined;
    try {
      const response = await fetch(`${monitor}/jsz?accounts=true&streams=true&consumers=true`, { signal: AbortSignal.timeout(3_000) });
      const body = (await response.json()) as {
        account_details?: { stream_detail?: { name: string; consumer_detail?: { num_pending?: number; num_ack_pending?: number }[] }[] }[];
      };
      let backlog = 0;
      for (const account of body.account_details ?? []) {
        for (const stream of account.stream_detail ?? []) {
          if (!stream.name.startsWith(`${this.cluster.namespace}_`) || stream.name.endsWith('DEAD_LETTERS')) continue;
          for (const consumer of stream.consumer_detail ?? []) backlog += (consumer.num_pending ?? 0) + (consumer.num_ack_pending ?? 0);
        }
      }
      return backlog;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

/** Every rule the saga must satisfy at rest; [] when all hold. */
export function violationsAtRest(state: SagaState): Violation[] {
  const violations = sagaViolations(state, { atRest: true });
  for (const [subgraph, backlog] of Object.entries(state.outboxBacklog)) {
    if (backlog > 0) violations.push({ rule: 'outbox not drained', detail: `${subgraph}: ${backlog} unpublished row(s)` });
  }
  return violations;
}

/** Counts by rule, most frequent first. */
export function countByRule(violations: readonly Violation[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const { rule } of violations) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}
