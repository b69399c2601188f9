import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Kind, print, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { createClient as createWebSocketClient, type Client as WebSocketClient } from 'graphql-ws';

export interface ClientOptions {
  /** The router's GraphQL endpoint, e.g. http://localhost:4000/graphql */
  url: string;
  /** A JWT; sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /**
   * `'hash-only'`: send each document of this SDK (those generated from
   * `sdk/src/operations`, which carry their manifest hash) as
   * `{ documentId: "sha256:…", variables, operationName }`, without its text;
   * the router looks the text up in its persisted-documents manifest, and a
   * router in persisted-documents-only mode needs it. Other documents are
   * still sent as text. Default: every document is sent as text.
   */
  persistedDocuments?: 'hash-only' | undefined;
}

/** What the server answered, as is: data and errors may both be present (partial results). */
export interface ExecutionResult<TData> {
  data?: TData | null;
  errors?: readonly GraphQLFormattedError[];
}

/** The request failed: `errors` holds the GraphQL errors (each with `extensions.code`). */
export class ShopApiError extends Error {
  override readonly name = 'ShopApiError';

  constructor(
    readonly errors: readonly GraphQLFormattedError[],
    /** The HTTP status; 0 for a subscription (over WebSocket). */
    readonly status: number,
  ) {
    super(errors.map((error) => `${String(error.extensions?.['code'] ?? 'ERROR')}: ${error.message}`).join('; '));
  }

  /** The `extensions.code` of every error, in order. */
  get codes(): string[] {
    return this.errors.map((error) => String(error.extensions?.['code'] ?? ''));
  }
}

export interface ShopClient {
  /** Runs an operation; resolves with its data, rejects with ShopApiError if any error came back. */
  request<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    ...variables: keyof TVariables extends never ? [TVariables?] : [TVariables]
  ): Promise<TData>;
  /** Runs an operation and returns the raw result, errors included. */
  execute<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    ...variables: keyof TVariables extends never ? [TVariables?] : [TVariables]
  ): Promise<ExecutionResult<TData> & { status: number }>;
  /**
   * Runs a subscription over WebSocket (graphql-ws, at the same URL as ws://
   * or wss://): yields each result's data, ends when the server completes the
   * subscription, throws ShopApiError on an error. Leaving the loop (break,
   * return) unsubscribes. Should the connection drop (a router restart), it
   * reconnects and subscribes again, and the server sends the current state.
   *
   * @example
   * for await (const { orderStatusChanged } of shop.subscribe(OrderStatusChangedDocument, { id })) {
   *   console.log(orderStatusChanged.status);
   * }
   */
  subscribe<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    ...variables: keyof TVariables extends never ? [TVariables?] : [TVariables]
  ): AsyncIterableIterator<TData>;
  /** A client with the same settings and another token. */
  withToken(token: string | undefined): ShopClient;
}

/**
 * A small typed client for the shop supergraph.
 *
 * @example
 * const shop = createClient({ url: 'http://localhost:4000/graphql', token });
 * const { products } = await shop.request(ProductsDocument, { first: 5 });
 */
export function createClient(options: ClientOptions): ShopClient {
  const fetchImpl = options.fetch ?? fetch;
  const prepared = new WeakMap<object, PreparedDocument>();

  async function execute<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) {
    let request = prepared.get(document);
    if (request === undefined) {
      request = prepare(document, options.persistedDocuments);
      prepared.set(document, request);
    }
    const response = await fetchImpl(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ ...request, variables: variables ?? {} }),
    });
    const text = await response.text();
    let body: ExecutionResult<TData>;
    try {
      body = JSON.parse(text) as ExecutionResult<TData>;
    } catch {
      body = { errors: [{ message: `Expected a JSON GraphQL response, got HTTP ${response.status}: ${text.slice(0, 200)}` }] };
    }
    return { ...body, status: response.status };
  }

  // One WebSocket for all of this client's subscriptions, opened at the first and closed after the last.
  let webSocket: WebSocketClient | undefined;
  function subscribe<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): AsyncIterableIterator<TData> {
    webSocket ??= createWebSocketClient({
      url: options.url.replace(/^http/, 'ws'),
      connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
      retryAttempts: 5,
      // A router gone without a close handshake (killed, restarting) surfaces as a socket error, which
      // graphql-ws does not retry by default; refusals (4401 for a bad token, 4400…) are still final.
      shouldRetry: () => true,
    });
    let request = prepared.get(document);
    if (request === undefined) {
      request = prepare(document, options.persistedDocuments);
      prepared.set(document, request);
    }
    // graphql-ws requires a query string; by id, the router takes documentId and an empty query.
    const payload = 'query' in request ? { ...request } : { ...request, query: '' };
    const results = webSocket.iterate<TData>({ ...payload, variables: (variables ?? {}) as Record<string, unknown> });
    // An iterator of its own rather than an async generator: return() (leaving a loop, a component
    // unmounting) unsubscribes at once, even while an update is awaited.
    const iterator: AsyncIterableIterator<TData> = {
      async next() {
        try {
          const step = await results.next();
          if (step.done) return { done: true, value: undefined };
          if (step.value.errors?.length) throw new ShopApiError(step.value.errors, 0);
          if (step.value.data == null) throw new ShopApiError([{ message: 'The update had no data' }], 0);
          return { done: false, value: step.value.data };
        } catch (error) {
          await results.return?.(undefined);
          throw asShopApiError(error);
        }
      },
      async return() {
        await results.return?.(undefined);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  return {
    execute: (document, ...[variables]) => execute(document, variables),
    subscribe: (document, ...[variables]) => subscribe(document, variables),
    async request(document, ...[variables]) {
      const result = await execute(document, variables);
      if (result.errors?.length) throw new ShopApiError(result.errors, result.status);
      if (result.data == null) throw new ShopApiError([{ message: 'The response had no data' }], result.status);
      return result.data;
    },
    withToken: (token) => createClient({ ...options, token }),
  };
}

/**
 * What graphql-ws throws, as a ShopApiError: the errors the server answered a
 * subscription with, or the close of the connection (4401: a bad or expired token).
 */
function asShopApiError(error: unknown): unknown {
  if (error instanceof ShopApiError) return error;
  if (Array.isArray(error)) return new ShopApiError(error as GraphQLFormattedError[], 0);
  const close = error as { code?: unknown; reason?: unknown } | null;
  if (typeof close?.code === 'number') {
    const code = close.code === 4401 ? 'UNAUTHENTICATED' : 'CONNECTION_CLOSED';
    return new ShopApiError([{ message: `The subscription's connection closed (${close.code}${close.reason ? `: ${String(close.reason)}` : ''})`, extensions: { code } }], 0);
  }
  return error;
}

/** What is sent for a document, besides its variables. */
type PreparedDocument = { query: string } | { documentId: string; operationName?: string };

/**
 * With `persistedDocuments: 'hash-only'`, a document the client preset
 * generated with a persisted-document hash (`__meta__.hash`, "sha256:<hex>",
 * the key of its text in the manifest) is sent by that id. Anything else is
 * printed, as by default.
 */
function prepare(document: DocumentNode, mode: ClientOptions['persistedDocuments']): PreparedDocument {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (mode === 'hash-only' && typeof hash === 'string') {
    const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    return operation?.name ? { documentId: hash, operationName: operation.name.value } : { documentId: hash };
  }
  return { query: print(document) };
}
