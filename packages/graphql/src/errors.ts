import { GraphQLError } from 'graphql';

/** The error codes of the public API (README, "What the API offers"). */
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
