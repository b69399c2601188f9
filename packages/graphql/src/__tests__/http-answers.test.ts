/**
 * What a client receives over HTTP from a subgraph's server: a JSON POST through graphqlPostRoute
 * (../graphql-post.ts, Node's own request and response), anything else through Express and Apollo's
 * Express integration (`@as-integrations/express5`, patched: it reads the query string without url.parse
 * and sends Apollo's answer with Node's end(), see patches/README.md). The router answers the same two ways.
 *
 * Apollo Server itself is patched too (see patches/README.md): a query's SHA-256 is remembered, the CSRF
 * check takes a JSON content type without parsing it, and the Accept header is negotiated for incremental
 * delivery only when it names multipart/mixed. The last two describes pin what those parts answer.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry } from '@shop/observability';
import { startSubgraphServer, type RunningServer } from '../subgraph-server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startSubgraphServer({
    name: 'answers',
    typeDefs: parse('type Query { greeting(name: String! = "world"): String! }'),
    resolvers: { Query: { greeting: (_: unknown, { name }: { name: string }) => `héllo ${name} ✓` } },
    createContext: () => ({}),
    checkReady: async () => undefined,
    metrics: createMetricsRegistry('answers'),
    port: 0,
    logger: createLogger('test', 'silent'),
    development: false,
  });
});
afterAll(() => server.stop());

/** A request with its target sent exactly as given (fetch would drop a `#…`); the raw answer. */
function send(method: 'GET' | 'POST', target: string, headers: Record<string, string>, body?: string) {
  const { hostname, port } = new URL(server.origin);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const outgoing = request({ host: hostname, port, method, path: target, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe("an answer's status, headers and bytes", () => {
  it('a POST: the content type Apollo Server chose for the Accept header, its byte length, the whole body', async () => {
    const body = JSON.stringify({ query: 'query Greet($name: String!) { greeting(name: $name) }', variables: { name: 'Zoë' } });
    for (const [accept, type] of [
      ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
      ['application/json', 'application/json; charset=utf-8'],
    ] as const) {
      const answer = await send('POST', '/graphql', { 'content-type': 'application/json', accept }, body);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe(type);
      // Bytes, not characters: the answer holds several two- and three-byte characters.
      expect(answer.headers['content-length']).toBe(String(answer.body.length));
      expect(answer.headers['transfer-encoding']).toBeUndefined();
      expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ data: { greeting: 'héllo Zoë ✓' } });
    }
  });

  it('a GET: the operation and variables from the query string, up to a fragment', async () => {
    const query = `query=${encodeURIComponent('query Greet($name: String!) { greeting(name: $name) }')}&variables=${encodeURIComponent('{"name":"GET"}')}`;
    const headers = { 'apollo-require-preflight': 'true' };
    for (const target of [`/graphql?${query}`, `/graphql?${query}#fragment`, `/graphql?${query}#fragment?query=ignored`]) {
      const answer = await send('GET', target, headers);
      expect(answer.status, target).toBe(200);
      expect(JSON.parse(answer.body.toString('utf8')), target).toEqual({ data: { greeting: 'héllo GET ✓' } });
    }
    // A query string after a fragment is part of the fragment: no operation was sent.
    const afterFragment = await send('GET', `/graphql#fragment?${query}`, headers);
    expect(afterFragment.status).toBe(400);
    expect(afterFragment.body.toString('utf8')).toContain('GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.');
  });

  it('a request Apollo Server refuses: its status, content type and message', async () => {
    const answer = await send('POST', '/graphql', { 'content-type': 'application/json' }, JSON.stringify({ query: '{ greeting(' }));
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['content-length']).toBe(String(answer.body.length));
    expect(JSON.parse(answer.body.toString('utf8')).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('a POST body the subgraph cannot run', () => {
  it('not JSON, or not a JSON object: 400 BAD_REQUEST as a GraphQL error, and the next request is answered', async () => {
    for (const [body, message] of [
      ['{ "query": ', /^The request body is not valid JSON: /],
      ['[1', /^The request body is not valid JSON: /],
      ['42', /^The request body must be a JSON object/],
    ] as const) {
      const answer = await send('POST', '/graphql', { 'content-type': 'application/json' }, body);
      expect(answer.status, body).toBe(400);
      expect(answer.headers['content-type'], body).toBe('application/json; charset=utf-8');
      const { errors } = JSON.parse(answer.body.toString('utf8')) as { errors: { message: string; extensions: { code: string } }[] };
      expect(errors.map((error) => error.extensions.code), body).toEqual(['BAD_REQUEST']);
      expect(errors[0]!.message, body).toMatch(message);
    }
    expect((await send('POST', '/graphql', { 'content-type': 'application/json' }, JSON.stringify({ query: '{ greeting }' }))).status).toBe(200);
  });

  it('over 5 MB, sent with its length or in chunks without one: 413 OPERATION_LIMIT_EXCEEDED', async () => {
    const body = JSON.stringify({ query: '{ greeting }', padding: 'x'.repeat(5 * 1024 * 1024) });
    const withLength = await send('POST', '/graphql', { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body);
    expect(withLength.status).toBe(413);
    const chunked = await send('POST', '/graphql', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body.toString('utf8')).errors[0].extensions.code).toBe('OPERATION_LIMIT_EXCEEDED');
  });
});

describe('CSRF prevention (Apollo Server, patched to take JSON without parsing its content type)', () => {
  const body = JSON.stringify({ query: '{ greeting }' });

  it('runs a POST whose content type is JSON, however it is spelled', async () => {
    for (const type of ['application/json', 'Application/JSON', 'application/json;charset=UTF-8', 'application/json ; charset=utf-8', 'application/json\t; charset=utf-8']) {
      const answer = await send('POST', '/graphql', { 'content-type': type }, body);
      expect(answer.status, type).toBe(200);
    }
  });

  it('refuses a POST with a simple request’s content type and no preflight header', async () => {
    for (const type of ['text/plain', ' text/plain', 'Text/Plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await send('POST', '/graphql', { 'content-type': type }, body);
      expect(answer.status, type).toBe(400);
      expect(answer.body.toString('utf8'), type).toContain('Cross-Site Request Forgery');
    }
  });
});

describe('automatic persisted queries (Apollo Server, patched to remember each query’s SHA-256)', () => {
  const query = '{ greeting(name: "APQ") }';
  const hash = createHash('sha256').update(query).digest('hex');
  const post = (payload: unknown) => send('POST', '/graphql', { 'content-type': 'application/json' }, JSON.stringify(payload));
  const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

  it('registers a query under its hash, runs it by hash, and refuses a hash that is not the query’s every time', async () => {
    expect((await post({ extensions: persisted(hash) })).body.toString('utf8')).toContain('PERSISTED_QUERY_NOT_FOUND');
    expect((await post({ query, extensions: persisted(hash) })).status).toBe(200);
    const byHash = await post({ extensions: persisted(hash) });
    expect(JSON.parse(byHash.body.toString('utf8'))).toEqual({ data: { greeting: 'héllo APQ ✓' } });
    // The same text under another hash: refused however often it was hashed before.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const wrong = await post({ query, extensions: persisted('0'.repeat(64)) });
      // Apollo Server's "provided sha does not match query" carries no code: the subgraph masks its message.
      expect(wrong.status).toBe(400);
      expect(JSON.parse(wrong.body.toString('utf8'))).toEqual({ errors: [expect.objectContaining({ message: expect.any(String) })] });
    }
  });
});
