import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import type { ErrorRequestHandler } from 'express';
import getRawBody from 'raw-body';
import { acceptRequestId, REQUEST_ID_HEADER, runInRequest, type Logger, type Trace } from '@shop/observability';

/** `application/json`, with no parameter but `charset=utf-8`: what every GraphQL client sends. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** An answer made before Apollo Server is asked (a refusal). */
export interface EarlyAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface GraphQLPostRoute<Context extends BaseContext> {
  apollo: ApolloServer<Context>;
  maxBodyBytes: number;
  logger: Logger;
  /** The router answers each request with its id (x-request-id); a subgraph runs under the router's. */
  answerRequestId: boolean;
  /** First, before the body is read: may set headers (CORS), or refuse the request (a wrong subgraph secret). */
  admit?: (req: IncomingMessage, res: ServerResponse) => EarlyAnswer | undefined;
  /** The parsed body (a JSON object or array): the body Apollo Server gets, or a refusal (persisted documents). */
  prepareBody?: (body: object) => { body: unknown } | { refusal: EarlyAnswer };
  /** Inside the request's trace, before Apollo Server runs (a subgraph counts its SQL statements). */
  onTrace?: (trace: Trace, res: ServerResponse) => void;
  context: (req: IncomingMessage, requestId: string) => Promise<Context>;
}

/**
 * `POST /graphql` with a JSON body, what every client sends for a query or a mutation, served on Node's own
 * request and response: the same steps as an Express chain of express.json() and Apollo's Express
 * integration, without what Express costs per request (its router's layers, body-parser's content-type and
 * charset handling): about 7 % of the router's CPU under load (issue 10). The handler returns false for
 * anything else (GET, SSE subscriptions, another content type or a compressed body), which goes on to the
 * service's Express app and is answered as before.
 */
export function graphqlPostRoute<Context extends BaseContext>(route: GraphQLPostRoute<Context>): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (!takes(req)) return false;
    const requestId = acceptRequestId(req.headers[REQUEST_ID_HEADER] as string | undefined);
    if (route.answerRequestId) res.setHeader(REQUEST_ID_HEADER, requestId);
    const refusal = route.admit?.(req, res);
    if (refusal) {
      sendEarly(res, refusal); // the body is not read: Node discards it
      return true;
    }
    serve(req, res, requestId, route).catch((error: unknown) => {
      route.logger.error({ err: error, requestId }, 'POST /graphql failed');
      if (!res.headersSent) sendErrors(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
      else res.destroy();
    });
    return true;
  };
}

function takes(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  if (req.url !== '/graphql' && !req.url?.startsWith('/graphql?')) return false;
  const { headers } = req;
  if (headers.accept?.includes('text/event-stream')) return false;
  if (headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity') return false;
  return PLAIN_JSON.test(headers['content-type'] ?? '');
}

async function serve<Context extends BaseContext>(req: IncomingMessage, res: ServerResponse, requestId: string, route: GraphQLPostRoute<Context>): Promise<void> {
  let text: string;
  try {
    text = await getRawBody(req, { length: req.headers['content-length'], limit: route.maxBodyBytes, encoding: 'utf-8' });
  } catch (error) {
    const { type, message } = error as { type?: string; message?: string };
    if (type === 'request.aborted') return; // the client went away: nobody to answer
    // As body-parser does: what is left of the body is read and dropped before the answer, so the
    // connection can carry the client's next request.
    await readToEnd(req);
    return type === 'entity.too.large'
      ? sendErrors(res, 413, `The request body exceeds ${route.maxBodyBytes} bytes`, 'OPERATION_LIMIT_EXCEEDED')
      : sendErrors(res, 400, `The request body could not be read: ${message ?? 'unreadable'}`, 'BAD_REQUEST');
  }
  let parsed: unknown;
  try {
    // An empty body is `{}`, as express.json() made it: Apollo Server then says what a request needs.
    parsed = text === '' ? {} : JSON.parse(text);
  } catch (error) {
    return sendErrors(res, 400, `The request body is not valid JSON: ${(error as Error).message}`, 'BAD_REQUEST');
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return sendErrors(res, 400, 'The request body must be a JSON object: { "query": …, "variables": … }', 'BAD_REQUEST');
  }
  // Entered once the body is read: reading runs in the socket's async context, not the request's.
  await runInRequest(requestId, async (trace) => {
    route.onTrace?.(trace, res);
    const prepared = route.prepareBody ? route.prepareBody(parsed) : { body: parsed };
    if ('refusal' in prepared) return sendEarly(res, prepared.refusal);
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, headerValue(value)!);
    }
    const query = req.url!.indexOf('?');
    const response = await route.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: query === -1 ? '' : req.url!.slice(query), body: prepared.body },
      context: () => route.context(req, requestId),
    });
    await send(res, response);
  });
}

function readToEnd(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete) return resolve();
    req.once('end', resolve).once('close', resolve).resume();
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

function sendEarly(res: ServerResponse, answer: EarlyAnswer): void {
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.statusCode = answer.status;
  res.end(answer.body);
}

/** One header's value as Express's req.get gives it: several of one header joined by `, `. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A GraphQL error answer, `{ errors: [{ message, extensions: { code } }] }`. */
export function errorAnswer(status: number, message: string, code: string): EarlyAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ errors: [{ message, extensions: { code } }] }) };
}

function sendErrors(res: ServerResponse, status: number, message: string, code: string): void {
  sendEarly(res, errorAnswer(status, message, code));
}

/**
 * For the Express path of a service's `/graphql`, after express.json(): its failures (too large, not JSON,
 * an unsupported charset) answered as GraphQL errors, as the route above answers them, not as HTML pages.
 */
export function bodyParserErrors(maxBodyBytes: number): ErrorRequestHandler {
  return (error: { status?: number; type?: string; message?: string }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const answer =
      error.type === 'entity.too.large'
        ? errorAnswer(413, `The request body exceeds ${maxBodyBytes} bytes`, 'OPERATION_LIMIT_EXCEEDED')
        : errorAnswer(error.status ?? 400, `The request body is not valid JSON: ${error.message ?? 'unreadable'}`, 'BAD_REQUEST');
    res.status(answer.status).set(answer.headers).send(answer.body);
  };
}
