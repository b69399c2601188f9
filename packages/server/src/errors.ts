import { GraphQLError } from 'graphql';

/** The error codes of the public API (API.md, "Errors"). */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  Conflict: 'CONFLICT',
  OperationLimitExceeded: 'OPERATION_LIMIT_EXCEEDED',
  /** A dependency (the service's database) is away for the moment: retry the request. */
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  InternalServerError: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes whose message is written for clients and may be shown as is. */
const PUBLIC_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.InternalServerError),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  // Apollo Server's HTTP-level refusals (a GET mutation, a malformed request): messages written for clients.
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  // The router could not reach a subgraph: the rest of the answer stands.
  'SUBGRAPH_UNAVAILABLE',
]);

export function isPublicErrorCode(code: unknown): boolean {
  return typeof code === 'string' && PUBLIC_CODES.has(code);
}

function apiError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** Invalid arguments. `field` names the argument path, e.g. `input.price.amount`. */
export function badUserInput(message: string, field?: string): GraphQLError {
  return apiError(ErrorCode.BadUserInput, message, field ? { field } : {});
}

export function unauthenticated(message = 'This operation needs a valid bearer token (Authorization: Bearer <JWT>)'): GraphQLError {
  return apiError(ErrorCode.Unauthenticated, message);
}

export function forbidden(message: string): GraphQLError {
  return apiError(ErrorCode.Forbidden, message);
}

export function conflict(message: string): GraphQLError {
  return apiError(ErrorCode.Conflict, message);
}

/**
 * True when the database could not be reached or dropped the connection
 * (a restart, a failover, pg_terminate_backend): nothing is wrong with the
 * request, and the same request can succeed a moment later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown; originalError?: unknown }).originalError ?? (cause as { cause?: unknown }).cause, depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    // Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
    if (typeof code === 'string' && (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === 'ECONNREFUSED' || code === 'ECONNRESET')) return true;
    if (typeof message === 'string' && /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message)) return true;
  }
  return false;
}

/** True for a Postgres unique-constraint violation (pg and PGlite both expose `code`). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e?.code !== '23505') return false;
  if (!constraint) return true;
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(constraint));
}
