import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
// The errors module alone: the router loads this package, and must not load Kysely and pg with it.
import { isDatabaseUnavailable } from '@shop/database/errors';
import { acceptRequestId, Histogram, REQUEST_ID_HEADER, runInRequest, type Logger, type Registry, type Trace } from '@shop/observability';
import { listen, mountProbes } from '@shop/runtime';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import { ErrorCode, isPublicErrorCode } from './errors.js';
import { bodyParserErrors, errorAnswer, graphqlPostRoute, headerValue, type EarlyAnswer } from './graphql-post.js';
import { requestTelemetryPlugin } from './request-telemetry.js';
import { viewerFromHeaders, type Viewer } from './viewer.js';

/** The largest request body a subgraph reads (the router's own limit is lower: a client's operation). */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Where and how a service listens; the part of its options every subgraph shares. */
export interface ServeOptions {
  /**
   * Shared with the router, which sends it in `x-shop-subgraph-secret`: without it
   * nobody else can call `/graphql` (and `_entities`) or claim an identity.
   */
  secret?: string | undefined;
  port: number;
  host?: string | undefined;
  logger: Logger;
  /** Development shows unexpected error messages; otherwise they are masked. */
  development: boolean;
}

export interface SubgraphServerOptions<Context extends BaseContext> extends ServeOptions {
  name: string;
  typeDefs: DocumentNode;
  resolvers: unknown;
  /** Builds the per-request context (and with it the per-request DataLoaders). */
  createContext(viewer: Viewer): Context;
  /** Resolves when the subgraph's dependencies answer; backs `/ready`. */
  checkReady(): Promise<void>;
  /** The subgraph's metrics registry, served on `/metrics`. */
  metrics: Registry;
}

export interface RunningServer {
  readonly name: string;
  /** GraphQL endpoint, e.g. http://127.0.0.1:4001/graphql */
  readonly url: string;
  readonly origin: string;
  /** What `/metrics` serves. */
  readonly metrics: Registry;
  stop(): Promise<void>;
}

export async function startSubgraphServer<Context extends BaseContext>(
  options: SubgraphServerOptions<Context>,
): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  // Set once Apollo Server has started: POST /graphql with a JSON body served without Express (./graphql-post.ts).
  let graphqlPost: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined = undefined;
  const listening = await listen((req: IncomingMessage, res: ServerResponse) => {
    if (!graphqlPost?.(req, res)) app(req, res);
  }, options.port, options.host);
  const server = new ApolloServer<Context>({
    schema: buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    includeStacktraceInErrorResponses: false,
    // The launcher owns shutdown (drain, then close consumers and databases, in order);
    // Apollo's own signal handlers would stop servers behind its back.
    stopOnTerminationSignals: false,
    formatError: maskUnexpectedErrors(options.logger, options.development),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: listening.httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Inline traces (ftv1) only serve Apollo Studio, which this project does not report to.
      ApolloServerPluginInlineTraceDisabled(),
      // No subgraph schema has @cacheControl hints, so every answer is uncacheable; the plugin would still
      // instrument every resolved field to find that out (orders(first: 100) cost the orders subgraph
      // 6.6-7.0 CPU ms per request with it, 4.2-4.7 without). Without it a subgraph sends no Cache-Control,
      // which the router reads as uncacheable, as before. Adding hints to a schema means removing this line.
      ApolloServerPluginCacheControlDisabled(),
      requestTelemetryPlugin<Context>({ registry: options.metrics, logger: options.logger, logLevel: 'debug' }),
    ] satisfies ApolloServerPlugin<Context>[],
  });
  await server.start();

  const sqlPerRequest = new Histogram({
    name: 'shop_sql_statements_per_request',
    help: 'SQL statements executed to answer one GraphQL request',
    buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50],
    registers: [options.metrics],
  });
  mountProbes(app, { checkReady: options.checkReady, metrics: options.metrics });
  const refuseWithoutSecret = options.secret ? routerSecretCheck(options.secret) : () => undefined;
  // Everything done for a request (resolvers, loaders, SQL, the events it writes, log lines) runs in its
  // trace, under the router's request id; its SQL statements are counted when it is answered.
  const countStatements = (trace: Trace, res: ServerResponse) => res.on('finish', () => sqlPerRequest.observe(trace.sqlStatements));
  const contextOf = (req: IncomingMessage) => options.createContext(viewerFromHeaders({ get: (name) => headerValue(req.headers[name]) }));
  graphqlPost = graphqlPostRoute<Context>({
    apollo: server,
    maxBodyBytes: MAX_BODY_BYTES,
    logger: options.logger,
    answerRequestId: false,
    admit: refuseWithoutSecret,
    onTrace: countStatements,
    context: async (req) => contextOf(req),
  });
  // The same steps through Express, for what the route above leaves (GET, another content type, a compressed body).
  app.use('/graphql', (req, res, next) => {
    const refusal = refuseWithoutSecret(req);
    if (refusal) return void res.status(refusal.status).set(refusal.headers).send(refusal.body);
    next();
  });
  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES }),
    // Entered after the body is read: body parsing runs in the socket's async context, not the request's.
    (req, res, next) =>
      runInRequest(acceptRequestId(req.get(REQUEST_ID_HEADER)), (trace) => {
        countStatements(trace, res);
        next();
      }),
    expressMiddleware(server, { context: async ({ req }) => contextOf(req) }),
  );
  app.use('/graphql', bodyParserErrors(MAX_BODY_BYTES));

  return {
    name: options.name,
    url: `${listening.origin}/graphql`,
    origin: listening.origin,
    metrics: options.metrics,
    stop: () => server.stop(),
  };
}

/**
 * Expected failures carry a public code and a message written for clients.
 * Anything else is a surprise: logged in full, shown as a generic error
 * outside development so no SQL, stack or address leaks.
 */
export function maskUnexpectedErrors(logger: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (isPublicErrorCode(formatted.extensions?.['code'])) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (isDatabaseUnavailable(error)) {
      // Expected while the database restarts or drops connections: the client may retry as is.
      logger.warn({ reason: error instanceof Error ? error.message : String(error), path: formatted.path }, 'database unavailable while resolving');
      return {
        message: 'The service could not reach its database; retry the request',
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: ErrorCode.ServiceUnavailable },
      };
    }
    logger.error({ err: error, path: formatted.path }, 'unexpected error while resolving');
    return {
      message: development ? formatted.message : 'Internal server error',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.InternalServerError },
    };
  };
}

/** The header the router authenticates itself with to a subgraph. */
export const SUBGRAPH_SECRET_HEADER = 'x-shop-subgraph-secret';

/** The refusal of a request without the router's secret, or undefined when it carries it. */
function routerSecretCheck(secret: string): (req: IncomingMessage) => EarlyAnswer | undefined {
  const expected = Buffer.from(secret);
  return (req) => {
    const given = Buffer.from(headerValue(req.headers[SUBGRAPH_SECRET_HEADER]) ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
    return errorAnswer(401, `This subgraph answers the router only (${SUBGRAPH_SECRET_HEADER} missing or wrong)`, 'UNAUTHENTICATED');
  };
}
