import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';

export interface ClientOptions {
  /** The router's GraphQL endpoint, e.g. http://localhost:4000/graphql */
  url: string;
  /** A JWT; sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
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
  const printed = new WeakMap<object, string>();

  async function execute<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) {
    let query = printed.get(document);
    if (query === undefined) {
      query = print(document);
      printed.set(document, query);
    }
    const response = await fetchImpl(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ query, variables: variables ?? {} }),
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

  return {
    execute: (document, ...[variables]) => execute(document, variables),
    async request(document, ...[variables]) {
      const result = await execute(document, variables);
      if (result.errors?.length) throw new ShopApiError(result.errors, result.status);
      if (result.data == null) throw new ShopApiError([{ message: 'The response had no data' }], result.status);
      return result.data;
    },
    withToken: (token) => createClient({ ...options, token }),
  };
}
