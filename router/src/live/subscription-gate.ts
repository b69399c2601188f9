import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { ErrorCode } from '@shop/graphql';
import type { VerifiedToken } from '../auth.js';
import { keepLimitCode, type SubscriptionLimits } from '../limits.js';
import { resolvePersistedDocument, type PersistedDocuments } from '../persisted-documents.js';
import type { FollowRequest, LiveOrderStatus } from './live-order-status.js';
import { orderStatusQuery } from './order-status-query.js';

/** A subscription request as both transports receive it (graphql-ws `subscribe` payload, or an SSE request body). */
export interface SubscriptionParams {
  query?: unknown;
  documentId?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/** Either what to follow, or why not: a refused request subscribes to nothing. */
export type GateOutcome = { ok: true; document: DocumentNode; follow: FollowRequest } | { ok: false; status: number; errors: GraphQLError[] };

export interface SubscriptionGateOptions {
  /** The supergraph's API schema once loaded. */
  schema: () => GraphQLSchema | undefined;
  live: LiveOrderStatus;
  limits: SubscriptionLimits;
  persistedDocuments: { documents: PersistedDocuments; only: boolean };
  /** Operation limits: parse options (token count) and validation rules (depth, aliases, …); the cost limit runs with each update's query. */
  parseOptions: { maxTokens?: number };
  validationRules: readonly ValidationRule[];
}

const refused = (status: number, message: string, code: string, extensions: Record<string, unknown> = {}): GateOutcome => ({
  ok: false,
  status,
  errors: [new GraphQLError(message, { extensions: { code, ...extensions } })],
});

/**
 * Everything a subscription must pass before anything is subscribed, the same
 * for WebSocket and SSE: the persisted-documents rules, the operation limits,
 * validation against the supergraph, a signed-in viewer, and the subscription
 * limits. The order's visibility is checked by its first read (as `order(id)`).
 */
export function createSubscriptionGate(options: SubscriptionGateOptions) {
  const rules = [...specifiedRules, ...options.validationRules];
  return function admit(params: SubscriptionParams, token: VerifiedToken, context: { transport: FollowRequest['transport']; openOnConnection: number }): GateOutcome {
    const { documents, only } = options.persistedDocuments;
    const persisted = resolvePersistedDocument({ ...params, query: params.query === '' ? undefined : params.query }, documents, only);
    if (persisted.kind === 'refuse') return refused(persisted.status, persisted.message, persisted.code);
    const text = persisted.kind === 'replace' ? persisted.query : params.query;
    if (typeof text !== 'string' || text.trim() === '') return refused(400, 'The subscription has no document: send "query" (or a known documentId)', 'BAD_REQUEST');
    if (params.variables != null && (typeof params.variables !== 'object' || Array.isArray(params.variables))) return refused(400, '"variables" must be an object', 'BAD_REQUEST');
    if (params.operationName != null && typeof params.operationName !== 'string') return refused(400, '"operationName" must be a string', 'BAD_REQUEST');
    const variables = (params.variables ?? {}) as Record<string, unknown>;

    const schema = options.schema();
    if (!schema) return refused(503, 'The router is starting; retry shortly', ErrorCode.ServiceUnavailable);
    let document: DocumentNode;
    try {
      document = parse(text, options.parseOptions);
    } catch (error) {
      return { ok: false, status: 400, errors: [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
    }
    const invalid = validate(schema, document, rules);
    if (invalid.length > 0) return { ok: false, status: 400, errors: invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) };
    let query;
    try {
      query = orderStatusQuery(document, params.operationName ?? undefined, variables);
    } catch (error) {
      if (error instanceof GraphQLError) return { ok: false, status: 400, errors: [error] };
      throw error;
    }

    const { viewer, expiresAtMs } = token;
    if (viewer.userId === null) return refused(401, 'Sign in to follow an order: send "Authorization: Bearer <token>" (a header, or a connection parameter over WebSocket)', ErrorCode.Unauthenticated);
    if (expiresAtMs !== undefined && expiresAtMs <= Date.now()) return refused(401, 'The token has expired', ErrorCode.Unauthenticated);
    const { limits, live } = options;
    if (context.openOnConnection >= limits.maxPerConnection) return tooMany(`at most ${limits.maxPerConnection} subscriptions may be open on one connection`);
    if (live.openFor(viewer.userId) >= limits.maxPerClient) return tooMany(`at most ${limits.maxPerClient} subscriptions may be open per user`);
    if (live.size >= limits.maxTotal) return refused(503, 'The router has as many subscriptions open as it takes; retry later', ErrorCode.ServiceUnavailable);
    return { ok: true, document, follow: { query, variables, viewer, expiresAtMs, transport: context.transport } };
  };
}

export type SubscriptionGate = ReturnType<typeof createSubscriptionGate>;

function tooMany(message: string): GateOutcome {
  return refused(429, `Too many subscriptions: ${message}`, ErrorCode.OperationLimitExceeded);
}

/** The error with its code (a limit keeps OPERATION_LIMIT_EXCEEDED), as Apollo Server reports parse and validation errors. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  if (typeof error.extensions['code'] === 'string') return error; // a limit rule's own OPERATION_LIMIT_EXCEEDED
  const formatted = keepLimitCode({ message: error.message, extensions: { code } }, error);
  return new GraphQLError(formatted.message, { nodes: error.nodes, extensions: { ...error.extensions, ...formatted.extensions } });
}
