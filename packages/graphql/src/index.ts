export { bodyParserErrors, errorAnswer, graphqlPostRoute, headerValue, type EarlyAnswer, type GraphQLPostRoute } from './graphql-post.js';
export { badUserInput, conflict, ErrorCode, forbidden, isPublicErrorCode, unauthenticated } from './errors.js';
export {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  isUuid,
  MAX_PAGE_SIZE,
  parseFirst,
  parseId,
  toConnection,
  type Connection,
  type CursorPosition,
} from './pagination.js';
export { requestTelemetryPlugin } from './request-telemetry.js';
export { DateTimeScalar } from './scalars.js';
export { maskUnexpectedErrors, startSubgraphServer, SUBGRAPH_SECRET_HEADER, type RunningServer, type ServeOptions, type SubgraphServerOptions } from './subgraph-server.js';
export {
  ANONYMOUS,
  canRead,
  isAdmin,
  parseRoles,
  requireAdmin,
  requireUser,
  viewerFromHeaders,
  viewerToHeaders,
  VIEWER_HEADERS,
  type Role,
  type Viewer,
} from './viewer.js';
