/**
 * The router's settings types and their defaults, with no code behind them:
 * the launcher reads the router's settings in every process (to refuse a bad
 * configuration at once), and a process that runs no router loads only this
 * and config.ts, not the modules that apply the settings.
 */
import { fileURLToPath } from 'node:url';

/** Limits on what one operation may ask for; every rejection happens before any subgraph is called. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxDirectives: number;
  /** Estimated cost: each field costs 1, times the list size (`first`, by default DEFAULT_PAGE_SIZE of @shop/graphql) of every list above it. */
  maxCost: number;
  /** Hide "Did you mean …?" suggestions (on in production). */
  blockFieldSuggestions: boolean;
}

export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 10,
  maxTokens: 2_000,
  maxDirectives: 20,
  maxCost: 25_000,
  blockFieldSuggestions: false,
};

/** Limits on live subscriptions (router/src/live), on top of the operation limits every document meets. */
export interface SubscriptionLimits {
  /** Open at once on one WebSocket connection. */
  maxPerConnection: number;
  /** Open at once by one user on one router. */
  maxPerClient: number;
  /** Open at once on one router. */
  maxTotal: number;
  /** A WebSocket connection with no subscription for this long is closed (ms). */
  idleTimeoutMs: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = { maxPerConnection: 10, maxPerClient: 20, maxTotal: 10_000, idleTimeoutMs: 60_000 };

/** Timeout and circuit breaker of the router's calls to one subgraph. */
export interface SubgraphResilience {
  /** Longest wait for a subgraph's whole answer, in ms. */
  timeoutMs: number;
  /** Failed calls in a row (network error, timeout, HTTP 5xx) that open a subgraph's breaker. */
  breakerFailures: number;
  /** How long an open breaker refuses calls before letting a test call through. */
  breakerHalfOpenAfterMs: number;
}

// A short break: one trial call every 2 s costs nothing, and a subgraph that came back
// (a restart takes a few seconds) is used again within 2 s rather than 10.
export const DEFAULT_SUBGRAPH_RESILIENCE: SubgraphResilience = { timeoutMs: 10_000, breakerFailures: 5, breakerHalfOpenAfterMs: 2_000 };

export const DEFAULT_PERSISTED_DOCUMENTS_MANIFEST = fileURLToPath(import.meta.resolve('@shop/sdk/persisted-documents.json'));

export interface PersistedDocumentsConfig {
  /** Refuse every operation that is not in the manifest (PERSISTED_DOCUMENTS_ONLY). */
  only: boolean;
  /** JSON file `{ "sha256:<hex>": "<document text>" }` (PERSISTED_DOCUMENTS_MANIFEST). */
  manifestPath: string;
}
