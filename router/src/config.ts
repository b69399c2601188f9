import { resolve } from 'node:path';
import { z } from 'zod';
import { SUBGRAPHS, type SubgraphName } from '@shop/schema';
import { parseCorsOrigins } from './cors.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_PERSISTED_DOCUMENTS_MANIFEST,
  DEFAULT_SUBGRAPH_RESILIENCE,
  DEFAULT_SUBSCRIPTION_LIMITS,
  type OperationLimits,
  type PersistedDocumentsConfig,
  type SubgraphResilience,
  type SubscriptionLimits,
} from './settings.js';

/** Signing secret used in development when none is configured; refused in production. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-do-not-use-in-production';

export type JwtConfig =
  | { kind: 'secret'; secret: string; issuer: string | undefined; audience: string | undefined }
  | { kind: 'jwks'; jwksUrl: string; issuer: string | undefined; audience: string | undefined };

export interface RouterConfig {
  production: boolean;
  port: number;
  host: string;
  jwt: JwtConfig;
  /** Subgraph URL overrides; the committed supergraph's URLs otherwise. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  /** Secret sent to each subgraph (PRODUCTS_SUBGRAPH_SECRET, …); required in production. */
  subgraphSecrets: Partial<Record<SubgraphName, string>>;
  /** Schema introspection (off in production unless GRAPHQL_INTROSPECTION=true). */
  introspection: boolean;
  limits: OperationLimits;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** The persisted-documents manifest, and whether only its documents may run (docs/persisted-documents.md). */
  persistedDocuments: PersistedDocumentsConfig;
  /** Timeout and circuit breaker of the router's calls to each subgraph. */
  subgraphResilience: SubgraphResilience;
  /**
   * Identical query calls in flight to a subgraph (same document, variables and identity) share one
   * HTTP request (SUBGRAPH_SHARE_IN_FLIGHT=true); off by default.
   */
  shareInFlightSubgraphCalls?: boolean;
  /**
   * Browser origins allowed to call the API (CORS_ORIGINS; the storefront's
   * development origins by default outside production). Absent: none.
   */
  corsOrigins?: readonly string[];
  /** Limits on live subscriptions (SUBSCRIPTIONS_*); DEFAULT_SUBSCRIPTION_LIMITS when absent. */
  subscriptions?: SubscriptionLimits;
  /**
   * Serve `/metrics` on this port instead of the public one, so it stays
   * inside the network while the router faces the internet.
   */
  metricsPort?: number | undefined;
  /**
   * false drops the operation-limit plugins and rules altogether. Only the
   * benchmark sets it, to measure what they cost; never read from the environment.
   */
  operationLimitsEnabled?: boolean;
}

const port = z.coerce.number().int().min(0).max(65_535);
const optional = z.string().trim().min(1).optional();

// deploy/.env.example ships public placeholders of the right length; starting with one would be a silent hole.
const notPlaceholder = (secret: z.ZodString) =>
  secret.refine((value) => !value.startsWith('replace-me'), 'is still the placeholder from deploy/.env.example; generate one (openssl rand -hex 32)');
const subgraphSecret = notPlaceholder(z.string().min(16, 'subgraph secrets must be at least 16 characters')).optional();
const subgraphSecretsSchema = z.object({
  PRODUCTS_SUBGRAPH_SECRET: subgraphSecret,
  ORDERS_SUBGRAPH_SECRET: subgraphSecret,
  PAYMENTS_SUBGRAPH_SECRET: subgraphSecret,
});

/**
 * The secrets the router sends and each subgraph expects
 * (`<NAME>_SUBGRAPH_SECRET`); those of `required` must be set.
 */
export function subgraphSecretsFromEnv(env: NodeJS.ProcessEnv, required: readonly SubgraphName[]): Partial<Record<SubgraphName, string>> {
  const parsed = subgraphSecretsSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const given = { products: parsed.data.PRODUCTS_SUBGRAPH_SECRET, orders: parsed.data.ORDERS_SUBGRAPH_SECRET, payments: parsed.data.PAYMENTS_SUBGRAPH_SECRET };
  const secrets: Partial<Record<SubgraphName, string>> = {};
  const missing: string[] = [];
  for (const { name } of SUBGRAPHS) {
    const secret = given[name];
    if (secret) secrets[name] = secret;
    else if (required.includes(name)) missing.push(`${name.toUpperCase()}_SUBGRAPH_SECRET`);
  }
  // All of them at once: a deployment learns every missing secret from one refusal.
  if (missing.length > 0) throw new Error(`Invalid configuration: set ${missing.join(', ')} in production`);
  return secrets;
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ROUTER_PORT: port.default(4000),
  ROUTER_METRICS_PORT: port.optional(),
  HOST: z.string().default('127.0.0.1'),
  JWT_SECRET: notPlaceholder(z.string().min(32, 'JWT_SECRET must be at least 32 characters')).optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: optional,
  JWT_AUDIENCE: optional,
  PRODUCTS_URL: z.url().optional(),
  ORDERS_URL: z.url().optional(),
  PAYMENTS_URL: z.url().optional(),
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false']).optional(),
  ...subgraphSecretsSchema.shape,
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxDepth),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().nonnegative().default(DEFAULT_LIMITS.maxAliases),
  GRAPHQL_MAX_ROOT_FIELDS: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxRootFields),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxTokens),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().nonnegative().default(DEFAULT_LIMITS.maxDirectives),
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxCost),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  PERSISTED_DOCUMENTS_ONLY: z.enum(['true', 'false']).default('false'),
  PERSISTED_DOCUMENTS_MANIFEST: optional,
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_SUBGRAPH_RESILIENCE.timeoutMs),
  SUBGRAPH_BREAKER_FAILURES: z.coerce.number().int().positive().default(DEFAULT_SUBGRAPH_RESILIENCE.breakerFailures),
  SUBGRAPH_BREAKER_HALF_OPEN_MS: z.coerce.number().int().positive().default(DEFAULT_SUBGRAPH_RESILIENCE.breakerHalfOpenAfterMs),
  SUBGRAPH_SHARE_IN_FLIGHT: z.enum(['true', 'false']).default('false'),
  CORS_ORIGINS: z.string().optional(),
  SUBSCRIPTIONS_MAX_PER_CONNECTION: z.coerce.number().int().positive().default(DEFAULT_SUBSCRIPTION_LIMITS.maxPerConnection),
  SUBSCRIPTIONS_MAX_PER_CLIENT: z.coerce.number().int().positive().default(DEFAULT_SUBSCRIPTION_LIMITS.maxPerClient),
  SUBSCRIPTIONS_MAX: z.coerce.number().int().positive().default(DEFAULT_SUBSCRIPTION_LIMITS.maxTotal),
  SUBSCRIPTIONS_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_SUBSCRIPTION_LIMITS.idleTimeoutMs),
});
export const ROUTER_ENV_NAMES = Object.keys(envSchema.shape);

/** Reads the router's settings once from the environment; throws a readable error when they are wrong. */
export function routerConfigFromEnv(env: NodeJS.ProcessEnv): RouterConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid router configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const claims = { issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE };
  let jwt: JwtConfig;
  if (e.JWT_JWKS_URL) jwt = { kind: 'jwks', jwksUrl: e.JWT_JWKS_URL, ...claims };
  else if (e.JWT_SECRET) jwt = { kind: 'secret', secret: e.JWT_SECRET, ...claims };
  else if (!production) jwt = { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, ...claims };
  else throw new Error('Invalid router configuration: set JWT_SECRET or JWT_JWKS_URL in production');
  const overrides = { products: e.PRODUCTS_URL, orders: e.ORDERS_URL, payments: e.PAYMENTS_URL };
  const subgraphUrls: RouterConfig['subgraphUrls'] = {};
  for (const { name } of SUBGRAPHS) {
    const url = overrides[name];
    if (url) subgraphUrls[name] = url;
  }
  let corsOrigins: string[];
  try {
    corsOrigins = parseCorsOrigins(e.CORS_ORIGINS, production);
  } catch (error) {
    throw new Error(`Invalid router configuration:\n${(error as Error).message}`, { cause: error });
  }
  // In production the router authenticates to every subgraph.
  const subgraphSecrets = subgraphSecretsFromEnv(env, production ? SUBGRAPHS.map(({ name }) => name) : []);
  return {
    production,
    port: e.ROUTER_PORT,
    subgraphSecrets,
    host: e.HOST,
    jwt,
    subgraphUrls,
    introspection: e.GRAPHQL_INTROSPECTION ? e.GRAPHQL_INTROSPECTION === 'true' : !production,
    limits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxRootFields: e.GRAPHQL_MAX_ROOT_FIELDS,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.GRAPHQL_MAX_COST,
      blockFieldSuggestions: production,
    },
    maxBodyBytes: e.MAX_BODY_BYTES,
    metricsPort: e.ROUTER_METRICS_PORT,
    corsOrigins,
    subscriptions: {
      maxPerConnection: e.SUBSCRIPTIONS_MAX_PER_CONNECTION,
      maxPerClient: e.SUBSCRIPTIONS_MAX_PER_CLIENT,
      maxTotal: e.SUBSCRIPTIONS_MAX,
      idleTimeoutMs: e.SUBSCRIPTIONS_IDLE_TIMEOUT_MS,
    },
    persistedDocuments: {
      only: e.PERSISTED_DOCUMENTS_ONLY === 'true',
      manifestPath: e.PERSISTED_DOCUMENTS_MANIFEST ? resolve(e.PERSISTED_DOCUMENTS_MANIFEST) : DEFAULT_PERSISTED_DOCUMENTS_MANIFEST,
    },
    subgraphResilience: {
      timeoutMs: e.SUBGRAPH_TIMEOUT_MS,
      breakerFailures: e.SUBGRAPH_BREAKER_FAILURES,
      breakerHalfOpenAfterMs: e.SUBGRAPH_BREAKER_HALF_OPEN_MS,
    },
    shareInFlightSubgraphCalls: e.SUBGRAPH_SHARE_IN_FLIGHT === 'true',
  };
}
