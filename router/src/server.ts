import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { request } from 'undici';
import type { EventTransport } from '@shop/events';
import { acceptRequestId, createMetricsRegistry, REQUEST_ID_HEADER, runInRequest, type Logger, type Registry } from '@shop/observability';
import { bodyParserErrors, graphqlPostRoute, maskUnexpectedErrors, requestTelemetryPlugin } from '@shop/graphql';
import { listen, mountMetrics, mountProbes, type ListeningServer } from '@shop/runtime';
import { stringifyAnswer } from './answer-as-is.js';
import { createTokenVerifier } from './auth.js';
import { corsMiddleware, createCors } from './cors.js';
import { mountDevSignIn } from './dev-sign-in.js';
import { inProjectWords } from './error-messages.js';
import type { RouterConfig } from './config.js';
import { createGateway, SubgraphFetchCounter, type RouterContext } from './gateway.js';
import { GRAPHIQL_PATH, offlineGraphiQLHandler } from './graphiql.js';
import { sandboxLandingPage } from './landing-page.js';
import { DEFAULT_SUBSCRIPTION_LIMITS, keepLimitCode, operationLimits } from './limits.js';
import { startLiveSubscriptions, subscriptionsNeedAStream } from './live/index.js';
import { loadPersistedDocuments, persistedDocumentsMiddleware, refusalAnswer, resolvePostBody } from './persisted-documents.js';

export interface RunningRouter {
  /** The public GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  readonly fetches: SubgraphFetchCounter;
  /** What `/metrics` serves. */
  readonly metrics: Registry;
  /** Where `/metrics` is served: the public origin, or the one of ROUTER_METRICS_PORT. */
  readonly metricsOrigin: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 2_000;

/** What the router takes besides its configuration. */
export interface RouterDependencies {
  /** The order events, for the live order status subscription; without them, subscriptions are refused. */
  events?: EventTransport | undefined;
}

/**
 * Serves the supergraph: `/graphql` (Sandbox for browsers in development; subscriptions over WebSocket
 * and SSE), `/graphiql`, `/health`, `/ready`, `/metrics`.
 */
export async function startRouter(config: RouterConfig, logger: Logger, dependencies: RouterDependencies = {}): Promise<RunningRouter> {
  const fetches = new SubgraphFetchCounter();
  const metrics = createMetricsRegistry('router');
  const { gateway, resolvedUrls, breakerRefusals, closeSubgraphConnections } = createGateway({
    subgraphUrls: config.subgraphUrls,
    subgraphSecrets: config.subgraphSecrets,
    resilience: config.subgraphResilience,
    shareInFlightCalls: config.shareInFlightSubgraphCalls,
    fetches,
    metrics,
    logger,
  });
  const verifyToken = createTokenVerifier(config.jwt);
  // Loaded and verified before listening: a bad manifest stops the start with nothing left open.
  const persistedDocumentsManifest = loadPersistedDocuments(config.persistedDocuments, logger);
  const persistedDocuments = persistedDocumentsMiddleware(config.persistedDocuments, persistedDocumentsManifest);
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => {
    apiSchema = loaded;
  });
  const app = express();
  app.disable('x-powered-by');
  // No ETag: Express would hash every answer (about 1.5 % of the router's time) for a header that POSTed
  // operations never use; what a GET answer may be cached for is said by its Cache-Control.
  app.set('etag', false);
  // First, so every answer (a refusal, a 503 while starting) reaches an allowed browser origin readable.
  const applyCors = createCors(config.corsOrigins ?? []);
  app.use(corsMiddleware(applyCors));
  // The server listens before its routes are mounted (Apollo's drain plugin needs it): until
  // then a request is told to come back (503), not answered 404 as if /graphql did not exist.
  let routesMounted = false;
  app.use((_req, res, next) => {
    if (routesMounted) return next();
    res.status(503).set('retry-after', '1').json({ errors: [{ message: 'The router is starting; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
  });
  // Set once every route is mounted: POST /graphql with a JSON body served without Express (graphqlPostRoute of @shop/graphql).
  let graphqlPost: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined = undefined;
  const listening = await listen((req: IncomingMessage, res: ServerResponse) => {
    if (!graphqlPost?.(req, res)) app(req, res);
  }, config.port, config.host);

  const limits = config.operationLimitsEnabled === false ? { parseOptions: {}, validationRules: [], plugins: [] } : operationLimits(config.limits);
  const maskErrors = maskUnexpectedErrors(logger, !config.production);
  const server = new ApolloServer<RouterContext>({
    gateway,
    introspection: config.introspection,
    parseOptions: limits.parseOptions,
    validationRules: limits.validationRules,
    // CSRF prevention is on by default in Apollo Server 5: text/plain POSTs and GET mutations are refused.
    csrfPrevention: true,
    // Automatic persisted queries would let any client register any query: off in persisted-documents-only mode.
    persistedQueries: config.persistedDocuments.only ? false : undefined,
    includeStacktraceInErrorResponses: false,
    // The launcher owns shutdown (drain, then close consumers and databases, in order);
    // Apollo's own signal handlers would stop servers behind its back.
    stopOnTerminationSignals: false,
    // Writes a subgraph's data passed on as is (./answer-as-is.ts) as the text it came as.
    stringifyResult: stringifyAnswer,
    formatError: (formatted, error) => maskErrors(inProjectWords(keepLimitCode(formatted, error)), error),
    plugins: [
      requestTelemetryPlugin<RouterContext>({ registry: metrics, logger, logLevel: 'info' }),
      ...limits.plugins,
      subscriptionsNeedAStream,
      ApolloServerPluginDrainHttpServer({ httpServer: listening.httpServer }),
      // Inline traces (ftv1) are a subgraph's answer to a gateway: Apollo Server would load the
      // plugin and its protobuf code only to find the router's schema is not a subgraph's.
      ApolloServerPluginInlineTraceDisabled(),
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : sandboxLandingPage(GRAPHIQL_PATH),
    ],
  });
  await server.start();
  const subscriptions = await startLiveSubscriptions({
    httpServer: listening.httpServer,
    path: '/graphql',
    apollo: server,
    schema: () => apiSchema,
    events: dependencies.events,
    verifyToken,
    limits: config.subscriptions ?? DEFAULT_SUBSCRIPTION_LIMITS,
    operationLimits: limits,
    persistedDocuments: { documents: persistedDocumentsManifest, only: config.persistedDocuments.only },
    metrics,
    logger,
  });

  mountProbes(app, {
    // Ready when the supergraph is loaded, the router would call every
    // subgraph (no breaker refusing calls: a subgraph back up is still
    // unreachable through an open breaker), and every subgraph says it is ready.
    checkReady: async () => {
      const origins = [...resolvedUrls.values()].map((url) => new URL(url).origin);
      if (origins.length === 0) throw new Error('the supergraph is not loaded');
      const refusals = [...breakerRefusals].flatMap(([subgraph, refusal]) => {
        const reason = refusal();
        return reason === undefined ? [] : [`${subgraph}: ${reason}`];
      });
      if (refusals.length > 0) throw new Error(refusals.join('; '));
      await Promise.all(
        origins.map(async (origin) => {
          // undici's request, as the subgraph calls use: the global fetch would load Node's own copy of undici
          // and web streams (about 4 MB in a bare process) for this one probe, and its error says only
          // "fetch failed" where this one says why (connection refused, timeout).
          const response = await request(`${origin}/ready`, { signal: AbortSignal.timeout(READY_TIMEOUT_MS) }).catch((error: Error) => {
            throw new Error(`${origin} is not ready (${error.message})`);
          });
          await response.body.dump();
          if (response.statusCode < 200 || response.statusCode > 299) throw new Error(`${origin} is not ready (HTTP ${response.statusCode})`);
        }),
      );
    },
    // On the public port only when no metrics port is configured.
    ...(config.metricsPort === undefined ? { metrics } : {}),
    ...(config.production ? { hideReason: { logger } } : {}),
  });
  let metricsListener: ListeningServer | undefined;
  if (config.metricsPort !== undefined) {
    const metricsApp = express();
    metricsApp.disable('x-powered-by');
    mountMetrics(metricsApp, metrics);
    try {
      metricsListener = await listen(metricsApp, config.metricsPort, config.host);
    } catch (error) {
      await server.stop(); // the public listener is already up: leave nothing open
      throw error;
    }
  }
  if (!config.production) {
    app.get(GRAPHIQL_PATH, offlineGraphiQLHandler('/graphql'));
  }
  // Development only: mountDevSignIn mounts nothing in production.
  mountDevSignIn(app, config);
  app.get('/', (_req, res) => {
    res.redirect('/graphql');
  });
  // A JSON POST never gets here once the routes are mounted (graphqlPostRoute serves it without Express):
  // this chain serves GET, subscriptions over SSE, other content types and compressed bodies.
  app.use(
    '/graphql',
    // The client's request id (or a new one) is answered in x-request-id, even to a refused request.
    (req, res, next) => {
      res.locals['requestId'] = acceptRequestId(req.get(REQUEST_ID_HEADER));
      res.set(REQUEST_ID_HEADER, res.locals['requestId'] as string);
      next();
    },
    express.json({ limit: config.maxBodyBytes }),
    // Entered once the body is read: body parsing runs in the socket's async context, not the request's.
    (_req, res, next) => runInRequest(res.locals['requestId'] as string, () => next()),
    // Subscriptions over SSE (Accept: text/event-stream); their own gate applies the persisted-documents rules.
    subscriptions.sse,
    // Documents sent by id are replaced by their text; in only-mode, operations not in the manifest are refused here.
    persistedDocuments,
    expressMiddleware(server, {
      context: async ({ req, res }) => ({ viewer: await verifyToken(req.get('authorization')), requestId: res.locals['requestId'] as string, serialisedForHttp: true }),
    }),
  );
  app.use('/graphql', bodyParserErrors(config.maxBodyBytes));
  routesMounted = true;
  graphqlPost = graphqlPostRoute<RouterContext>({
    apollo: server,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    answerRequestId: true,
    // Sets the CORS headers: a POST is never a preflight, so it is never answered here.
    admit: (req, res) => void applyCors(req, res),
    // Documents sent by id are replaced by their text; in only-mode, operations not in the manifest are refused.
    prepareBody: (body) => {
      const resolved = resolvePostBody(body, persistedDocumentsManifest, config.persistedDocuments.only);
      return 'refusal' in resolved ? { refusal: refusalAnswer(resolved.refusal) } : resolved;
    },
    context: async (req, requestId) => ({ viewer: await verifyToken(req.headers.authorization), requestId, serialisedForHttp: true }),
  });

  return {
    url: `${listening.origin}/graphql`,
    fetches,
    metrics,
    metricsOrigin: metricsListener?.origin ?? listening.origin,
    async stop() {
      // Subscriptions first: each gets its `complete`, the WebSockets close with 1001 (going away).
      await subscriptions.close();
      await server.stop();
      closeSubgraphConnections();
      if (metricsListener) {
        const { httpServer } = metricsListener;
        await new Promise((resolve) => {
          httpServer.close(resolve);
          httpServer.closeAllConnections();
        });
      }
    },
  };
}
