import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import getRawBody from 'raw-body';
import { acceptRequestId, REQUEST_ID_HEADER, runInRequest, type Logger } from '@shop/observability';
import type { RouterContext } from './gateway.js';
import { refusalAnswer, resolvePostBody, type PersistedDocuments } from './persisted-documents.js';

/** `application/json`, with no parameter but `charset=utf-8`: what every GraphQL client sends. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export interface GraphQLPostOptions {
  apollo: ApolloServer<RouterContext>;
  maxBodyBytes: number;
  /** Sets the CORS headers (router/src/cors.ts); a POST is never a preflight. */
  applyCors: (req: IncomingMessage, res: ServerResponse) => boolean;
  persistedDocuments: { documents: PersistedDocuments; only: boolean };
  /** The request's viewer, from its Authorization header (throws UNAUTHENTICATED). */
  viewerOf: (authorization: string | undefined) => Promise<RouterContext['viewer']>;
  logger: Logger;
}

/**
 * The router's hot path, `POST /graphql` with a JSON body, served on Node's own request and response:
 * the same steps as the Express chain on `/graphql` (CORS, the request id, a body limit, persisted
 * documents, Apollo Server), without what Express costs per request (its router's layers, body-parser's
 * content-type and charset handling): about 7 % of the router's CPU under load. Anything else (GET,
 * SSE subscriptions, another content type or encoding, a body announced over the limit, the first
 * requests while the router starts) returns false and goes on to Express, which answers as before.
 */
export function graphqlPostHandler(options: GraphQLPostOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (!takes(req, options.maxBodyBytes)) return false;
    options.applyCors(req, res);
    const requestId = acceptRequestId(req.headers[REQUEST_ID_HEADER] as string | undefined);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    serve(req, res, requestId, options).catch((error: unknown) => {
      options.logger.error({ err: error, requestId }, 'POST /graphql failed');
      if (!res.headersSent) sendErrors(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
      else res.destroy();
    });
    return true;
  };
}

function takes(req: IncomingMessage, maxBodyBytes: number): boolean {
  if (req.method !== 'POST') return false;
  if (req.url !== '/graphql' && !req.url?.startsWith('/graphql?')) return false;
  const { headers } = req;
  if (headers.accept?.includes('text/event-stream')) return false;
  if (headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity') return false;
  if (!PLAIN_JSON.test(headers['content-type'] ?? '')) return false;
  // Express answers a body announced over the limit before reading it.
  const length = headers['content-length'];
  return length === undefined || Number(length) <= maxBodyBytes;
}

async function serve(req: IncomingMessage, res: ServerResponse, requestId: string, options: GraphQLPostOptions): Promise<void> {
  let text: string;
  try {
    text = await getRawBody(req, { length: req.headers['content-length'], limit: options.maxBodyBytes, encoding: 'utf-8' });
  } catch (error) {
    const { type, message } = error as { type?: string; message?: string };
    if (type === 'request.aborted') return; // the client went away: nobody to answer
    // A chunked body can only be found too large while reading; the rest of it is not read.
    if (type === 'entity.too.large') res.setHeader('connection', 'close');
    return type === 'entity.too.large'
      ? sendErrors(res, 413, `The request body exceeds ${options.maxBodyBytes} bytes`, 'OPERATION_LIMIT_EXCEEDED')
      : sendErrors(res, 400, `The request body could not be read: ${message ?? 'unreadable'}`, 'BAD_REQUEST');
  }
  let body: unknown;
  try {
    // An empty body is `{}`, as express.json() made it: Apollo Server then says what a request needs.
    body = text === '' ? {} : JSON.parse(text);
  } catch (error) {
    return sendErrors(res, 400, `The request body is not valid JSON: ${(error as Error).message}`, 'BAD_REQUEST');
  }
  if (typeof body !== 'object' || body === null) {
    return sendErrors(res, 400, 'The request body must be a JSON object: { "query": …, "variables": … }', 'BAD_REQUEST');
  }

  await runInRequest(requestId, async () => {
    const { documents, only } = options.persistedDocuments;
    const resolved = resolvePostBody(body, documents, only);
    if ('refusal' in resolved) {
      const answer = refusalAnswer(resolved.refusal);
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      res.statusCode = answer.status;
      res.end(answer.body);
      return;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = req.url!.indexOf('?');
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: query === -1 ? '' : req.url!.slice(query), body: resolved.body },
      context: async () => ({ viewer: await options.viewerOf(req.headers.authorization), requestId }),
    });
    await send(res, response);
  });
}

async function send(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

function sendErrors(res: ServerResponse, status: number, message: string, code: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
