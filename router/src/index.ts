export { createTokenVerifier, signDevelopmentToken, type TokenVerifier } from './auth.js';
export { DEVELOPMENT_JWT_SECRET, routerConfigFromEnv, subgraphSecretsFromEnv, type JwtConfig, type RouterConfig } from './config.js';
export { SubgraphFetchCounter } from './gateway.js';
export { startRouter, type RunningRouter } from './server.js';
export { DEFAULT_LIMITS, type OperationLimits } from './limits.js';
export {
  DEFAULT_PERSISTED_DOCUMENTS_MANIFEST,
  PersistedDocumentErrorCode,
  PersistedDocuments,
  type PersistedDocumentsConfig,
} from './persisted-documents.js';
export { SUBGRAPH_UNAVAILABLE } from './gateway.js';
export { DEFAULT_SUBGRAPH_RESILIENCE, type SubgraphResilience } from './subgraph-fetcher.js';
