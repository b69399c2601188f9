export { createTokenVerifier, signDevelopmentToken, type TokenVerifier } from './auth.js';
export { DEVELOPMENT_JWT_SECRET, routerConfigFromEnv, type JwtConfig, type RouterConfig } from './config.js';
export { SubgraphFetchCounter } from './gateway.js';
export { startRouter, type RunningRouter } from './server.js';
export { DEFAULT_LIMITS, type OperationLimits } from './limits.js';
