/**
 * A subgraph's own tests, below the router: the subgraph started alone on a
 * free port, on a fresh database with its migrations (PGlite in memory, or a
 * Postgres database of its own when DATABASE_URL is set, dropped on stop) and
 * the in-process event transport. Tests call its GraphQL endpoint as the
 * router would, deliver the events other subgraphs would publish, and read
 * what it committed to announce.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { GraphQLFormattedError } from 'graphql';
import { createDatabaseHost, type DatabaseConfig } from '@shop/database';
import { createInProcessTransport, type EventEnvelope, type InProcessTransport, type OutgoingEvent } from '@shop/events';
import { ANONYMOUS, viewerToHeaders, type Viewer } from '@shop/graphql';
import { createLogger, type Logger } from '@shop/observability';
import type { OutboxTables } from '@shop/outbox';
import type { SubgraphOptions } from '../start-subgraph.js';

/**
 * What this helper needs of a running subgraph. (Not RunningSubgraph<OutboxTables>:
 * Kysely's database type is invariant, so no subgraph's handle would be one.)
 */
interface TestableSubgraph {
  readonly url: string;
  readonly database: { readonly db: object };
  stop(): Promise<void>;
}

export interface GraphQLAnswer<Data> {
  data?: Data | null;
  errors?: GraphQLFormattedError[];
}

export interface SubgraphUnderTest<Subgraph> {
  readonly subgraph: Subgraph;
  readonly transport: InProcessTransport;
  /** Sends one GraphQL request straight to the subgraph as `viewer` (anonymous when left out). */
  request<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, viewer?: Viewer): Promise<GraphQLAnswer<Data>>;
  /** Publishes an event as another subgraph's relay would; resolves once this subgraph's consumers have applied it. */
  deliver(event: OutgoingEvent): Promise<void>;
  /** The events the subgraph has committed to its outbox, oldest first; only those of one aggregate (an order, a product) when given. */
  emitted(aggregateId?: string): Promise<EventEnvelope[]>;
  stop(): Promise<void>;
}

/** A viewer as the router forwards it: a customer, or an admin. */
export function customer(userId: string): Viewer {
  return { userId, roles: new Set(['customer']) };
}
export const ADMIN: Viewer = { userId: 'admin', roles: new Set(['admin']) };

/** Relays and redeliveries fast enough for test time (the harness's settings). */
const FAST_MESSAGING: SubgraphOptions['messaging'] = {
  relay: { pollIntervalMs: 50, maxBackoffMs: 500 },
  redelivery: { maxDeliver: 5, backoffMs: [50, 100, 200, 400] },
};

/**
 * Starts one subgraph for its tests with `start` (its own `start…Subgraph`,
 * given the options every subgraph takes).
 *
 * @example
 * const orders = await startSubgraphUnderTest((options) => startOrdersSubgraph({ ...options, sagaDeadlineMs: 60_000, sweepIntervalMs: 60_000 }));
 * const { data } = await orders.request('{ orders { totalCount } }', {}, customer('alice'));
 */
export async function startSubgraphUnderTest<Subgraph extends TestableSubgraph>(
  start: (options: SubgraphOptions) => Promise<Subgraph>,
  options: { logger?: Logger } = {},
): Promise<SubgraphUnderTest<Subgraph>> {
  const logger = options.logger ?? createLogger('subgraph-test', process.env['LOG_LEVEL'] ?? 'warn');
  const config = testDatabaseConfig();
  const databaseHost = await createDatabaseHost(config, { logger });
  const transport = createInProcessTransport({ logger });
  let subgraph: Subgraph;
  try {
    subgraph = await start({ databaseHost, transport, messaging: FAST_MESSAGING, port: 0, host: '127.0.0.1', logger, development: true });
  } catch (error) {
    await transport.close();
    await databaseHost.close({ dropDatabases: config.kind === 'postgres' });
    throw error;
  }
  const outbox = subgraph.database.db as unknown as Kysely<OutboxTables>;
  return {
    subgraph,
    transport,
    async request(query, variables = {}, viewer = ANONYMOUS) {
      const response = await fetch(subgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...viewerToHeaders(viewer) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as never;
    },
    deliver: (event) => transport.publish(event.subject, event.envelope),
    async emitted(aggregateId) {
      const rows = await outbox.selectFrom('outbox').select('envelope').orderBy('created_at').orderBy('id').execute();
      // pg parses jsonb; PGlite may hand back its text.
      const envelopes = rows.map(({ envelope }) => (typeof envelope === 'string' ? (JSON.parse(envelope) as EventEnvelope) : envelope));
      return aggregateId === undefined ? envelopes : envelopes.filter((envelope) => envelope.aggregateId === aggregateId);
    },
    async stop() {
      await subgraph.stop();
      await transport.close();
      await databaseHost.close({ dropDatabases: config.kind === 'postgres' });
    },
  };
}

/** PGlite in memory, or a fresh Postgres database when DATABASE_URL is set (as the rest of the suite does). */
function testDatabaseConfig(): DatabaseConfig {
  const url = process.env['DATABASE_URL'];
  if (!url) return { kind: 'embedded', dataDir: undefined };
  return { kind: 'postgres', url, databasePrefix: `test_${randomBytes(5).toString('hex')}` };
}
