import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { Kysely, Migration } from 'kysely';
import type { DatabaseHost, SubgraphDatabase } from '@shop/database';
import type { EventTransport } from '@shop/events';
import { startSubgraphServer, type RunningServer, type ServeOptions, type Viewer } from '@shop/graphql';
import { createMetricsRegistry, type Logger, type Registry } from '@shop/observability';
import {
  createOutbox,
  startMessaging,
  type CommittedEvents,
  type ConsumerDefinition,
  type Messaging,
  type MessagingOptions,
  type Outbox,
  type OutboxTables,
} from '@shop/outbox';

/** Relay, redelivery, retention and concurrency settings of a subgraph's events (tests make them fast). */
export type MessagingTuning = Pick<MessagingOptions, 'relay' | 'redelivery' | 'retention' | 'concurrency'>;

/** What every subgraph is started with: where it listens, its database host and its event transport. */
export interface SubgraphOptions extends ServeOptions {
  databaseHost: DatabaseHost;
  transport: EventTransport;
  messaging?: MessagingTuning | undefined;
}

/** What the kit hands a subgraph to build its own parts from. */
export interface SubgraphWiring<DB> {
  readonly db: Kysely<DB>;
  /** Commits a change with its events and hands them to this subgraph's relay. */
  readonly outbox: Outbox<DB>;
  /** The subgraph's registry, served on `/metrics`. */
  readonly metrics: Registry;
  readonly logger: Logger;
  /** Runs work that one replica at a time should do (a seed, a job that calls out): see SubgraphDatabase.runAlone. */
  readonly runAlone: SubgraphDatabase<DB>['runAlone'];
}

/** Background work a subgraph runs beside its server (a sweeper, a worker). */
export interface Started<Exposed> {
  /** Shown on the running subgraph by name (tests reach the sweeper, the worker, the provider client). */
  readonly exposed: Exposed;
  /** Runs after the server has drained, before the consumers and the relay stop. */
  stop?(): Promise<void>;
}

/** The parts that make one subgraph what it is. */
export interface SubgraphParts<Context, Exposed> {
  /** Its durable consumers; they start before the server listens. */
  consumers: readonly ConsumerDefinition[];
  /** Builds the per-request context (and with it the per-request DataLoaders). */
  createContext(viewer: Viewer): Context;
  /** Runs once the consumers and the relay run, before the server listens: a seed, background work. */
  start?(): Promise<Started<Exposed>>;
}

export interface SubgraphDefinition<DB, Context, Exposed> {
  /** Names its database schema, its metrics and its service. */
  name: string;
  /** Its SDL file, e.g. `new URL('./schema.graphql', import.meta.url)`. */
  schema: URL;
  resolvers: unknown;
  /** Applied on start, in name order. */
  migrations: Record<string, Migration>;
  wire(wiring: SubgraphWiring<DB>): SubgraphParts<Context, Exposed>;
}

export interface RunningSubgraph<DB> extends RunningServer {
  readonly database: SubgraphDatabase<DB>;
  readonly messaging: Messaging;
}

/**
 * Starts a subgraph: opens (and migrates) its database, creates its metrics
 * registry and outbox, starts its relay and consumers, then what its `start`
 * runs, then serves the schema with `/ready` answering while the database
 * and the event broker do. `stop()` drains the server first, then stops the
 * background work, then the consumers and the relay; the database host
 * closes the database.
 *
 * @example
 * const products = await startSubgraph({
 *   name: 'products',
 *   schema: new URL('./schema.graphql', import.meta.url),
 *   resolvers: productResolvers,
 *   migrations,
 *   wire: ({ db, outbox }: SubgraphWiring<ProductsDatabase>) => ({
 *     consumers: [{ durable: 'products-from-orders', stream: 'ORDERS', filterSubject: 'orders.>', handlers: stockEventHandlers(db, outbox) }],
 *     createContext: (viewer) => createContext({ db, outbox }, viewer),
 *   }),
 * }, options);
 */
export async function startSubgraph<DB extends OutboxTables, Context extends object, Exposed extends object = Record<never, never>>(
  definition: SubgraphDefinition<DB, Context, Exposed>,
  { databaseHost, transport, messaging: tuning, ...serve }: SubgraphOptions,
): Promise<RunningSubgraph<DB> & Exposed> {
  const { name } = definition;
  const typeDefs = parse(readFileSync(definition.schema, 'utf8'));
  const database = await databaseHost.open<DB>(name, definition.migrations);
  const { db } = database;
  const metrics = createMetricsRegistry(name);
  // The relay exists only once messaging starts; until then nothing commits events.
  let notifyRelay: CommittedEvents = () => undefined;
  const outbox = createOutbox(db, (events) => notifyRelay(events));
  const parts = definition.wire({ db, outbox, metrics, logger: serve.logger, runAlone: database.runAlone });
  const messaging = await startMessaging({
    // DB has the outbox tables (DB extends OutboxTables), but Kysely's database type is invariant.
    db: db as unknown as Kysely<OutboxTables>,
    transport,
    logger: serve.logger,
    metrics,
    ...tuning,
    consumers: (notifyOutbox) => {
      notifyRelay = notifyOutbox;
      return [...parts.consumers];
    },
  });
  let started: Started<Exposed> | undefined;
  let server: RunningServer;
  try {
    started = await parts.start?.();
    server = await startSubgraphServer({
      name,
      typeDefs,
      resolvers: definition.resolvers,
      createContext: (viewer) => parts.createContext(viewer),
      metrics,
      checkReady: async () => {
        await database.ping();
        await messaging.assertHealthy();
      },
      ...serve,
    });
  } catch (error) {
    // A subgraph that could not start leaves nothing running behind it.
    await started?.stop?.().catch(() => undefined);
    await messaging.stop().catch(() => undefined);
    throw error;
  }
  return {
    ...server,
    database,
    messaging,
    ...(started?.exposed ?? ({} as Exposed)),
    async stop() {
      await server.stop();
      await started?.stop?.();
      await messaging.stop();
    },
  };
}
