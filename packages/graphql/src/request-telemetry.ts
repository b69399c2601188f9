import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { boundedLabel, Counter, Histogram, type Logger, type Registry } from '@shop/observability';

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Request rate, latency and errors by operation (`shop_graphql_*`, see
 * docs/observability.md), and one log line per request at `logLevel`.
 */
export function requestTelemetryPlugin<Context extends BaseContext>(options: {
  registry: Registry;
  logger: Logger;
  logLevel: 'info' | 'debug';
}): ApolloServerPlugin<Context> {
  const registers = [options.registry];
  const requests = new Counter({
    name: 'shop_graphql_requests_total',
    help: 'GraphQL requests answered, by operation and outcome (error when the response has errors)',
    labelNames: ['operation', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'shop_graphql_request_duration_seconds',
    help: 'Time to answer a GraphQL request, by operation',
    labelNames: ['operation'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'shop_graphql_errors_total',
    help: 'GraphQL errors returned, by operation and extensions.code',
    labelNames: ['operation', 'code'],
    registers,
  });
  const operationLabel = boundedLabel();

  return {
    async requestDidStart() {
      const startedAt = performance.now();
      return {
        async willSendResponse({ operationName, request, response }) {
          const seconds = (performance.now() - startedAt) / 1000;
          const operation = operationLabel(operationName ?? request.operationName);
          const found = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = found.map((error) => String(error.extensions?.['code'] ?? 'UNKNOWN'));
          requests.inc({ operation, outcome: codes.length > 0 ? 'error' : 'success' });
          duration.observe({ operation }, seconds);
          for (const code of codes) errors.inc({ operation, code });
          // Checked first: at a quieter level this per-request line costs nothing.
          if (options.logger.isLevelEnabled(options.logLevel)) {
            options.logger[options.logLevel](
              { operation, durationMs: Math.round(seconds * 10_000) / 10, ...(codes.length > 0 ? { errorCodes: codes } : {}) },
              'graphql request',
            );
          }
        },
      };
    },
  };
}
