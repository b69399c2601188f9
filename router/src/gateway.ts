import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { isBrokenCircuitError } from 'cockatiel';
import { GraphQLError } from 'graphql';
import { REQUEST_ID_HEADER, type Logger, type Registry } from '@shop/observability';
import { SUPERGRAPH_PATH, type SubgraphName } from '@shop/schema';
import { SUBGRAPH_SECRET_HEADER, viewerToHeaders, type Viewer } from '@shop/graphql';
import { createSubgraphFetcher, createSubgraphMetrics, type SubgraphResilience } from './subgraph-fetcher.js';

export interface RouterContext {
  viewer: Viewer;
  /** Sent to every subgraph this request calls (x-request-id). */
  requestId: string;
}

/** The code of the error a query gets for the part a failing subgraph should have answered. */
export const SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE';

/** Counts the HTTP requests the router makes to each subgraph (tests and bench read it). */
export class SubgraphFetchCounter {
  readonly #counts = new Map<string, number>();

  increment(subgraph: string): void {
    this.#counts.set(subgraph, (this.#counts.get(subgraph) ?? 0) + 1);
  }

  get total(): number {
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  bySubgraph(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

interface SubgraphDataSourceOptions {
  subgraph: string;
  url: string;
  fetcher: RemoteGraphQLDataSource['fetcher'];
  fetches: SubgraphFetchCounter;
  secret: string | undefined;
  logger: Logger;
}

/**
 * Calls one subgraph for the router: authenticates with the subgraph's
 * secret, forwards the verified identity (subgraphs never see the token) and
 * the request id, and turns a subgraph that cannot answer into a clean
 * SUBGRAPH_UNAVAILABLE error, so the rest of the query still answers.
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  readonly #options: SubgraphDataSourceOptions;

  constructor(options: SubgraphDataSourceOptions) {
    super({ url: options.url, fetcher: options.fetcher });
    this.#options = options;
  }

  override willSendRequest({ request, context }: Parameters<RemoteGraphQLDataSource<RouterContext>['willSendRequest'] & {}>[0]): void {
    const { fetches, subgraph, secret } = this.#options;
    fetches.increment(subgraph);
    const headers = request.http?.headers;
    if (!headers) return;
    if (secret) headers.set(SUBGRAPH_SECRET_HEADER, secret);
    if (context.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
    if (!context.viewer) return;
    for (const [name, value] of Object.entries(viewerToHeaders(context.viewer))) headers.set(name, value);
  }

  override didEncounterError(error: Error): never {
    // A 4xx answer keeps the gateway's own error (masked for clients outside development).
    if (error instanceof GraphQLError && (error.extensions['response'] as { status?: number } | undefined)?.status !== undefined) throw error;
    const { subgraph } = this.#options;
    // One line per failed call; the breaker's own log says when it opens and closes.
    if (isBrokenCircuitError(error)) this.#options.logger.debug({ subgraph }, 'subgraph call refused: circuit breaker open');
    else this.#options.logger.warn({ subgraph, reason: describeCause(error) }, 'subgraph unavailable');
    throw new GraphQLError(`The ${subgraph} service is unavailable; the fields it serves are missing from this answer`, {
      extensions: { code: SUBGRAPH_UNAVAILABLE, serviceName: subgraph },
    });
  }
}

/** "connect ECONNREFUSED 10.0.0.3:4003" rather than a stack: the cause is what an operator needs. */
function describeCause(error: Error): string {
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/**
 * A gateway over the committed supergraph: no introspection of the subgraphs
 * is needed to start, and each subgraph URL can be overridden.
 */
export function createGateway(options: {
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  subgraphSecrets: Partial<Record<SubgraphName, string>>;
  resilience: SubgraphResilience;
  fetches: SubgraphFetchCounter;
  metrics: Registry;
  logger: Logger;
  supergraphSdl?: string;
}): {
  gateway: ApolloGateway;
  resolvedUrls: Map<string, string>;
  /** Per subgraph, why the router would not call it now (breaker open or half-open); filled with resolvedUrls. */
  breakerRefusals: Map<string, () => string | undefined>;
  /** Closes the kept-alive connections to the subgraphs: once the gateway is stopped. */
  closeSubgraphConnections(): void;
} {
  // @apollo/gateway otherwise exports usage metrics to Apollo and probes cloud
  // metadata endpoints (169.254.169.254) to describe the host. Nothing leaves
  // the machine unless the operator sets APOLLO_TELEMETRY_DISABLED=false.
  process.env['APOLLO_TELEMETRY_DISABLED'] ??= 'true';
  const subgraphMetrics = createSubgraphMetrics(options.metrics);
  // Filled as the gateway loads the supergraph: the URL each subgraph is called at.
  const resolvedUrls = new Map<string, string>();
  const breakerRefusals = new Map<string, () => string | undefined>();
  const closers: (() => void)[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8'),
    buildService: ({ name, url }) => {
      const target = options.subgraphUrls[name as SubgraphName] ?? url;
      if (!target) throw new Error(`The supergraph names no URL for subgraph "${name}" and none is configured`);
      resolvedUrls.set(name, target);
      const fetcher = createSubgraphFetcher(name, { ...options.resilience, metrics: subgraphMetrics, logger: options.logger });
      breakerRefusals.set(name, fetcher.breakerRefusal);
      closers.push(fetcher.close);
      return new SubgraphDataSource({
        subgraph: name,
        url: target,
        fetcher: fetcher.fetch,
        fetches: options.fetches,
        secret: options.subgraphSecrets[name as SubgraphName],
        logger: options.logger,
      });
    },
  });
  return {
    gateway,
    resolvedUrls,
    breakerRefusals,
    closeSubgraphConnections: () => {
      for (const close of closers) close();
    },
  };
}
