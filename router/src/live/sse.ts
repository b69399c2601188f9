import type { NextFunction, Request, Response } from 'express';
import type { GraphQLError } from 'graphql';
import type { Response as SseResponse } from 'graphql-sse';
import { createHandler } from 'graphql-sse/lib/use/express';
import type { TokenVerifier, VerifiedToken } from '../auth.js';
import type { LiveOrderStatus } from './live-order-status.js';
import type { SubscriptionGate } from './subscription-gate.js';

const EVENT_STREAM = 'text/event-stream';

/**
 * GraphQL over SSE (graphql-sse's distinct connections mode) on `/graphql`:
 * a POST (or GET) that accepts `text/event-stream` gets the subscription as
 * `next` events and a final `complete`. The token is the Authorization
 * header. For clients behind proxies that do not pass WebSockets, and for
 * GraphiQL. Other requests go on to Apollo Server.
 */
export function subscriptionsOverSse(options: { gate: SubscriptionGate; live: LiveOrderStatus; verifyToken: TokenVerifier }) {
  const { gate, live, verifyToken } = options;
  const handle = createHandler({
    async onSubscribe(req, params) {
      let token: VerifiedToken;
      try {
        token = await verifyToken.withExpiry(req.headers.get('authorization') ?? undefined);
      } catch (error) {
        return refusal(401, [error as GraphQLError]);
      }
      const body: unknown = req.raw.body;
      const documentId = typeof body === 'object' && body !== null ? (body as { documentId?: unknown }).documentId : undefined;
      const outcome = gate({ ...params, documentId }, token, { transport: 'sse', openOnConnection: 0 });
      if (!outcome.ok) return refusal(outcome.status, outcome.errors);
      return live.follow(outcome.follow);
    },
  });

  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.get('accept')?.includes(EVENT_STREAM)) return next();
    // graphql-sse recognises the exact value only; and it needs a query string, which a request by documentId has not.
    req.headers.accept = EVENT_STREAM;
    const body: unknown = req.body;
    if (typeof body === 'object' && body !== null && (body as { query?: unknown }).query === undefined) (body as { query: string }).query = '';
    handle(req, res).catch(next);
  };
}

/** A refusal before anything is subscribed: a JSON GraphQL response with the HTTP status, not a stream. */
function refusal(status: number, errors: readonly GraphQLError[]): SseResponse {
  return [
    JSON.stringify({ errors: errors.map((error) => error.toJSON()) }),
    { status, statusText: status === 401 ? 'Unauthorized' : 'Refused', headers: { 'content-type': 'application/json; charset=utf-8' } },
  ];
}
