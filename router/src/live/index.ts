import type { Server } from 'node:http';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { EventTransport } from '@shop/events';
import { acceptRequestId, runInRequest, type Logger, type Registry } from '@shop/observability';
import type { TokenVerifier } from '../auth.js';
import type { RouterContext } from '../gateway.js';
import type { PersistedDocuments } from '../persisted-documents.js';
import { LiveOrderStatus, type RunQuery } from './live-order-status.js';
import { subscriptionsOverSse } from './sse.js';
import type { SubscriptionLimits } from '../limits.js';
import { createSubscriptionGate } from './subscription-gate.js';
import { serveSubscriptionsOverWebSocket } from './websocket.js';


export interface LiveSubscriptionsOptions {
  httpServer: Server;
  /** The GraphQL endpoint's path: WebSocket upgrades are taken there. */
  path: string;
  apollo: ApolloServer<RouterContext>;
  schema: () => GraphQLSchema | undefined;
  /** The order events; without them (a router with no broker), subscriptions are refused. */
  events: EventTransport | undefined;
  verifyToken: TokenVerifier;
  limits: SubscriptionLimits;
  operationLimits: { parseOptions: { maxTokens?: number }; validationRules: readonly ValidationRule[] };
  persistedDocuments: { documents: PersistedDocuments; only: boolean };
  metrics: Registry;
  logger: Logger;
}

/**
 * `subscription { orderStatusChanged(id) { … } }` at the router, over
 * WebSocket and SSE. @apollo/gateway executes no subscription: the router
 * watches the order events itself and answers each update by running the
 * subscriber's selection as the query `order(id)` through the gateway.
 */
export async function startLiveSubscriptions(options: LiveSubscriptionsOptions) {
  const { apollo, logger } = options;
  const runQuery: RunQuery = async (query, variables, viewer) => {
    const requestId = acceptRequestId(undefined);
    const response = await runInRequest(requestId, () =>
      apollo.executeOperation({ query: query.document, variables, ...(query.operationName ? { operationName: query.operationName } : {}) }, { contextValue: { viewer, requestId } }),
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result for an order read');
    return response.body.singleResult as Awaited<ReturnType<RunQuery>>;
  };
  const live = new LiveOrderStatus(runQuery, options.metrics, logger.child({ component: 'subscriptions' }));
  if (options.events) await live.start(options.events);
  const admit = createSubscriptionGate({
    schema: options.schema,
    live,
    limits: options.limits,
    persistedDocuments: options.persistedDocuments,
    ...options.operationLimits,
  });
  const gate: typeof admit = options.events
    ? admit
    : () => ({ ok: false, status: 503, errors: [new GraphQLError('Live order status needs the order events: this router runs without them (set NATS_URL)', { extensions: { code: 'SERVICE_UNAVAILABLE' } })] });
  const webSocket = serveSubscriptionsOverWebSocket(options.httpServer, {
    path: options.path,
    schema: options.schema,
    gate,
    live,
    verifyToken: options.verifyToken,
    idleTimeoutMs: options.limits.idleTimeoutMs,
    logger,
  });
  return {
    live,
    /** Express middleware for the GraphQL path, before Apollo: serves SSE subscription requests. */
    sse: subscriptionsOverSse({ gate, live, verifyToken: options.verifyToken }),
    /** Ends every subscription (each gets `complete`), then closes the WebSockets with 1001 (going away). */
    async close() {
      await live.close();
      await webSocket.close();
    },
  };
}

/** A subscription sent as a plain HTTP request: told where subscriptions are served (the gateway would fail it obscurely). */
export const subscriptionsNeedAStream: ApolloServerPlugin<RouterContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === 'subscription') {
          throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws protocol) at this URL, or over SSE: send the request with "Accept: text/event-stream"', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
      },
    };
  },
};
