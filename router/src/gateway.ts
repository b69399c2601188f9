import { readFileSync } from 'node:fs';
import { ApolloGateway, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { isBrokenCircuitError } from 'cockatiel';
import { GraphQLError, parse, type OperationDefinitionNode } from 'graphql';
import { Counter, REQUEST_ID_HEADER, type Logger, type Registry } from '@shop/observability';
import { SUPERGRAPH_PATH, type SubgraphName } from '@shop/schema';
import { SUBGRAPH_SECRET_HEADER, viewerToHeaders, type Viewer } from '@shop/graphql';
import { answersAsIs, dataAsIs, supergraphEnumsOf, type DataAsIs, type SupergraphEnums } from './answer-as-is.js';
import { expandEntities, uniqueRepresentations } from './representations.js';
import { createSubgraphFetcher, createSubgraphMetrics, type SubgraphFetcher, type SubgraphResilience, type SubgraphResponse } from './subgraph-fetcher.js';

export interface RouterContext {
  viewer: Viewer;
  /** Sent to every subgraph this request calls (x-request-id). */
  requestId: string;
  /**
   * Set for requests over HTTP: Apollo Server serialises their answer with
   * `stringifyAnswer`, so it may carry a subgraph's data as is
   * (./answer-as-is.ts). Unset for `executeOperation`, whose caller reads the data.
   */
  serialisedForHttp?: boolean;
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
  send: SubgraphFetcher['fetch'];
  fetches: SubgraphFetchCounter;
  secret: string | undefined;
  logger: Logger;
  /** Identical query calls in flight share one HTTP request (SUBGRAPH_SHARE_IN_FLIGHT); counted here. */
  sharing: Counter<'subgraph'> | undefined;
  supergraphEnums: SupergraphEnums;
  /** Answers passed on as the subgraph sent them (./answer-as-is.ts), by subgraph. */
  answeredAsIs: Counter<'subgraph'>;
}

/**
 * `answerAsIs`: set by the router's patch of @apollo/gateway when the plan is
 * this one fetch at the root and nothing is required or rewritten; the data
 * source may then answer `{ dataAsIs }`, which the gateway returns as the
 * query's data without shaping it.
 */
type ProcessOptions = GraphQLDataSourceProcessOptions<RouterContext> & { answerAsIs?: true };
type GatewayResponse = Awaited<ReturnType<GraphQLDataSource<RouterContext>['process']>>;
type AnswerAsIs = { dataAsIs: DataAsIs };

/**
 * Per client operation (Apollo Server keeps each parsed document while it is
 * in use), whether the answers of the one subgraph operation its plan sends
 * can be passed on as they are.
 */
const asIsByOperation = new WeakMap<OperationDefinitionNode, { subgraphQuery: string; allowed: boolean }>();

/**
 * Calls one subgraph for the router: authenticates with the subgraph's
 * secret, forwards the verified identity (subgraphs never see the token) and
 * the request id, sends each distinct entity representation once
 * (./representations.ts), and turns a subgraph that cannot answer into a
 * clean SUBGRAPH_UNAVAILABLE error, so the rest of the query still answers.
 *
 * It does what @apollo/gateway's RemoteGraphQLDataSource (2.14) does, without
 * what that costs per call and the router does not use: a node-fetch `Headers`
 * and `Request`, a fetch-shaped `Response` and `Object.fromEntries` of the
 * headers, and a make-fetch-happen client made with each data source. It keeps
 * the POST of `{ query, variables, operationName, extensions }`, the headers
 * the gateway adds (a trace's), the answer's JSON parsed once, a non-2xx answer
 * as `<status>: <statusText>` with `extensions.response`, and the answer's
 * Cache-Control restricting the request's cache policy. No APQ (the router
 * never turns it on).
 */
class SubgraphDataSource implements GraphQLDataSource<RouterContext> {
  readonly #options: SubgraphDataSourceOptions;
  /** With sharing on: the calls in flight, by what makes two of them identical (see #call). */
  readonly #inFlight = new Map<string, Promise<SubgraphResponse>>();

  constructor(options: SubgraphDataSourceOptions) {
    this.#options = options;
  }

  async process(options: ProcessOptions): Promise<GatewayResponse> {
    const { request, context } = options;
    const { secret } = this.#options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    if (request.http?.headers) for (const [name, value] of request.http.headers) headers[name] = value;
    headers['content-type'] = 'application/json';
    if (secret) headers[SUBGRAPH_SECRET_HEADER] = secret;
    if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    if (context.viewer?.userId) Object.assign(headers, viewerToHeaders(context.viewer));
    const unique = uniqueRepresentations(request.variables?.['representations']);
    const variables = unique ? { ...request.variables, representations: unique.distinct } : request.variables;
    const body = JSON.stringify({ query: request.query, variables, operationName: request.operationName, extensions: request.extensions });

    let answer: GatewayResponse;
    let response: SubgraphResponse;
    try {
      response = await this.#call(options, headers, body);
      const text = response.body.toString('utf8');
      const asIs = this.#answerAsIs(options, response, text);
      if (asIs) {
        restrictCachePolicy(options, response.headers.get('cache-control'));
        this.#options.answeredAsIs.inc({ subgraph: this.#options.subgraph });
        return asIs as unknown as GatewayResponse;
      }
      const parsed = parseAnswer(response, text);
      if (!response.ok) throw errorFromAnswer(response, parsed);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`Expected JSON response body, but received: ${String(parsed)}`);
      answer = parsed as GatewayResponse;
    } catch (error) {
      this.didEncounterError(error as Error);
    }
    restrictCachePolicy(options, response.headers.get('cache-control'));
    return unique ? expandEntities(answer, unique) : answer;
  }

  /** The answer's data as is, when the gateway asked for it and both the operations and the answer allow it (./answer-as-is.ts). */
  #answerAsIs(options: ProcessOptions, response: SubgraphResponse, text: string): AnswerAsIs | undefined {
    if (!options.answerAsIs || !response.ok || !isJson(response) || !options.context.serialisedForHttp || !('incomingRequestContext' in options)) return undefined;
    const { operation, document, schema } = options.incomingRequestContext;
    const subgraphQuery = options.request.query;
    if (!operation || !document || !subgraphQuery) return undefined;
    let decided = asIsByOperation.get(operation);
    if (decided?.subgraphQuery !== subgraphQuery) {
      const allowed = answersAsIs({ operation, document }, parse(subgraphQuery, { noLocation: true }), schema, this.#options.supergraphEnums);
      decided = { subgraphQuery, allowed };
      asIsByOperation.set(operation, decided);
    }
    if (!decided.allowed) return undefined;
    const data = dataAsIs(text);
    return data && { dataAsIs: data };
  }

  /**
   * Sends the call; with sharing on, a call identical to one in flight (same subgraph, same headers but
   * the request id, same body: document and variables) waits for that one's answer instead, as Hive
   * Gateway does. Each caller parses the answer itself: the gateway writes into what it receives. Only
   * the calls of a query are shared, never those of a mutation; the shared call carries the first
   * caller's request id.
   */
  #call(options: ProcessOptions, headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    const { sharing, subgraph } = this.#options;
    // Only an incoming operation has a request context (health checks and schema loading have none).
    const shareable = sharing && 'incomingRequestContext' in options && options.incomingRequestContext.operation?.operation === 'query';
    if (!shareable) return this.#send(headers, body);
    let key = body;
    for (const name in headers) if (name !== REQUEST_ID_HEADER) key += `\n${name}: ${headers[name]}`;
    const inFlight = this.#inFlight.get(key);
    if (inFlight) {
      sharing.inc({ subgraph });
      return inFlight;
    }
    const call = this.#send(headers, body).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, call);
    return call;
  }

  /** One HTTP request to the subgraph, counted. */
  #send(headers: Record<string, string>, body: string): Promise<SubgraphResponse> {
    const { fetches, subgraph, url, send } = this.#options;
    fetches.increment(subgraph);
    return send(url, { method: 'POST', headers, body });
  }

  private didEncounterError(error: Error): never {
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

/** JSON when the subgraph says so (as RemoteGraphQLDataSource.parseBody), else the text. */
function parseAnswer(response: SubgraphResponse, text: string): unknown {
  return isJson(response) ? JSON.parse(text) : text;
}

function isJson(response: SubgraphResponse): boolean {
  const type = response.headers.get('content-type');
  return !!type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'));
}

/** What RemoteGraphQLDataSource.errorFromResponse makes of a non-2xx answer. */
function errorFromAnswer(response: SubgraphResponse, body: unknown): GraphQLError {
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : undefined;
  return new GraphQLError(`${response.status}: ${response.statusText}`, {
    extensions: { response: { url: response.url, status: response.status, statusText: response.statusText, body }, ...(code ? { code } : {}) },
  });
}

/** A subgraph's Cache-Control restricts the whole answer's cache policy, as RemoteGraphQLDataSource does. */
function restrictCachePolicy(options: ProcessOptions, cacheControl: string | null): void {
  // Only an incoming operation has a request context (health checks and schema loading have none).
  if (!('incomingRequestContext' in options)) return;
  const policy = options.incomingRequestContext.overallCachePolicy as { restrict?: (hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }) => void } | undefined;
  if (!policy?.restrict) return;
  const hint: { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } = { maxAge: 0 };
  for (const directive of cacheControl?.split(',') ?? []) {
    const [name, value] = directive.trim().split('=');
    if (name === 'max-age' && value !== undefined && /^[0-9]+$/.test(value)) hint.maxAge = Number(value);
    else if (name === 'private') hint.scope = 'PRIVATE';
    else if (name === 'public') hint.scope = 'PUBLIC';
  }
  policy.restrict(hint);
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
  /** Identical query calls in flight to a subgraph share one HTTP request (off unless true). */
  shareInFlightCalls?: boolean;
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
  const sharing = options.shareInFlightCalls
    ? new Counter({
        name: 'shop_router_subgraph_calls_shared_total',
        help: 'Subgraph calls that waited for an identical call in flight instead of sending their own, by subgraph',
        labelNames: ['subgraph'],
        registers: [options.metrics],
      })
    : undefined;
  const answeredAsIs = new Counter({
    name: 'shop_router_answers_as_is_total',
    help: 'Answers made of one subgraph call whose data the router passed on as the subgraph sent it, without reshaping, by subgraph',
    labelNames: ['subgraph'],
    registers: [options.metrics],
  });
  const supergraphSdl = options.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  const supergraphEnums = supergraphEnumsOf(supergraphSdl);
  const gateway = new ApolloGateway({
    supergraphSdl,
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
        send: fetcher.fetch,
        fetches: options.fetches,
        secret: options.subgraphSecrets[name as SubgraphName],
        logger: options.logger,
        sharing,
        supergraphEnums,
        answeredAsIs,
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
