import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { SUPERGRAPH_PATH, type SubgraphName } from '@shop/schema';
import { SUBGRAPH_SECRET_HEADER, viewerToHeaders, type Viewer } from '@shop/server';

export interface RouterContext {
  viewer: Viewer;
}

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

/** Forwards the verified identity to a subgraph; subgraphs never see the token. */
class IdentityForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly fetches: SubgraphFetchCounter,
    private readonly secret: string | undefined,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: Parameters<RemoteGraphQLDataSource<RouterContext>['willSendRequest'] & {}>[0]): void {
    this.fetches.increment(this.subgraph);
    if (this.secret) request.http?.headers.set(SUBGRAPH_SECRET_HEADER, this.secret);
    if (!context.viewer) return;
    for (const [name, value] of Object.entries(viewerToHeaders(context.viewer))) request.http?.headers.set(name, value);
  }
}

/**
 * A gateway over the committed supergraph: no introspection of the subgraphs
 * is needed to start, and each subgraph URL can be overridden.
 */
export function createGateway(options: {
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  subgraphSecrets: Partial<Record<SubgraphName, string>>;
  fetches: SubgraphFetchCounter;
  supergraphSdl?: string;
}): { gateway: ApolloGateway; resolvedUrls: Map<string, string> } {
  // @apollo/gateway otherwise exports usage metrics to Apollo and probes cloud
  // metadata endpoints (169.254.169.254) to describe the host. Nothing leaves
  // the machine unless the operator sets APOLLO_TELEMETRY_DISABLED=false.
  process.env['APOLLO_TELEMETRY_DISABLED'] ??= 'true';
  // Filled as the gateway loads the supergraph: the URL each subgraph is called at.
  const resolvedUrls = new Map<string, string>();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8'),
    buildService: ({ name, url }) => {
      const target = options.subgraphUrls[name as SubgraphName] ?? url;
      if (!target) throw new Error(`The supergraph names no URL for subgraph "${name}" and none is configured`);
      resolvedUrls.set(name, target);
      return new IdentityForwardingDataSource(name, target, options.fetches, options.subgraphSecrets[name as SubgraphName]);
    },
  });
  return { gateway, resolvedUrls };
}
