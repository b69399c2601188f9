import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '@shop/observability';
import type { TokenVerifier, VerifiedToken } from '../auth.js';
import type { FollowRequest, LiveOrderStatus } from './live-order-status.js';
import type { SubscriptionGate } from './subscription-gate.js';

/** graphql-ws's close code for a connection refused for its token (bad or expired): clients do not retry it, unlike 4403. */
const UNAUTHORIZED = 4401;
/** WebSocket ping every so often: a client gone without a close is noticed. */
const KEEP_ALIVE_MS = 12_000;
/** On shutdown, how long the `complete` messages of ended subscriptions may take to be sent before the sockets close. */
const COMPLETE_GRACE_MS = 2_000;

interface Connection {
  token: VerifiedToken;
  /** Ids of the subscriptions open on this connection. */
  open: Set<string>;
  idleTimer: NodeJS.Timeout | undefined;
}

export interface WebSocketOptions {
  path: string;
  schema: () => GraphQLSchema | undefined;
  gate: SubscriptionGate;
  live: LiveOrderStatus;
  verifyToken: TokenVerifier;
  idleTimeoutMs: number;
  logger: Logger;
}

/**
 * GraphQL over WebSocket (the graphql-ws protocol, as Apollo Sandbox, GraphiQL
 * and the SDK speak it) on the router's HTTP server. The token comes with the
 * connection: `connectionParams.authorization` ("Bearer <JWT>"), which
 * browsers can send, or the upgrade request's Authorization header.
 */
export function serveSubscriptionsOverWebSocket(httpServer: Server, options: WebSocketOptions): { close(): Promise<void> } {
  const { gate, live, verifyToken, idleTimeoutMs, logger } = options;
  const connections = new WeakMap<Extra, Connection>();
  // Subscriptions open on every connection, and who waits for none to be left (shutdown).
  let open = 0;
  let drained: (() => void) | undefined;
  const closeWhenIdle = (extra: Extra, connection: Connection) => {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => extra.socket.close(1000, `Idle: no subscription for ${Math.round(idleTimeoutMs / 1000)} s`), idleTimeoutMs);
  };

  const wss = new WebSocketServer({ server: httpServer, path: options.path });
  const server = useServer<Record<string, unknown> | undefined>(
    {
      async onConnect(ctx) {
        const authorization = authorizationParam(ctx.connectionParams) ?? ctx.extra.request.headers.authorization;
        let token: VerifiedToken;
        try {
          token = await verifyToken.withExpiry(authorization);
        } catch (error) {
          ctx.extra.socket.close(UNAUTHORIZED, `Unauthorized: ${(error as Error).message}`.slice(0, 120));
          return false;
        }
        const connection: Connection = { token, open: new Set(), idleTimer: undefined };
        connections.set(ctx.extra, connection);
        closeWhenIdle(ctx.extra, connection);
        return true;
      },
      onSubscribe(ctx, id, payload) {
        const connection = connections.get(ctx.extra);
        if (!connection) return; // not acknowledged: graphql-ws refuses the message itself
        const outcome = gate(payload, connection.token, { transport: 'websocket', openOnConnection: connection.open.size });
        if (!outcome.ok) return outcome.errors;
        connection.open.add(id);
        open += 1;
        clearTimeout(connection.idleTimer);
        return { schema: options.schema()!, document: outcome.document, contextValue: outcome.follow };
      },
      subscribe: (args) => live.follow(args.contextValue as FollowRequest),
      onComplete(ctx, id) {
        const connection = connections.get(ctx.extra);
        if (!connection?.open.delete(id)) return;
        open -= 1;
        if (open === 0) drained?.();
        if (connection.open.size === 0) closeWhenIdle(ctx.extra, connection);
      },
      onClose(ctx) {
        clearTimeout(connections.get(ctx.extra)?.idleTimer);
      },
    },
    wss,
    KEEP_ALIVE_MS,
  );
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  return {
    /** Once the subscriptions have ended (LiveOrderStatus.close) and their `complete` is sent, closes each socket with 1001 (going away). */
    close: async () => {
      if (open > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, COMPLETE_GRACE_MS).unref();
        });
      }
      // graphql-ws sends each `complete` right after its onComplete hook: let those go out first.
      await new Promise((resolve) => setImmediate(resolve));
      await server.dispose();
    },
  };
}

/** `authorization` (any case) from the connection parameters, or `headers.authorization` as some clients nest it. */
function authorizationParam(params: Record<string, unknown> | undefined): string | undefined {
  if (!params) return undefined;
  const find = (record: Record<string, unknown>) => Object.entries(record).find(([key]) => key.toLowerCase() === 'authorization')?.[1];
  const value = find(params) ?? (typeof params['headers'] === 'object' && params['headers'] !== null ? find(params['headers'] as Record<string, unknown>) : undefined);
  return typeof value === 'string' ? value : undefined;
}
