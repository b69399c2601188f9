/**
 * The router's patch of @apollo/gateway loads some of its dependencies on
 * first use instead of with the gateway (patches/README.md): Apollo's usage
 * telemetry (the OpenTelemetry SDK, cloud detectors and OTLP exporter), the
 * default make-fetch-happen fetcher, and node-fetch and the usage reporting
 * protobuf of traced query plans. The router never uses them (the launcher's
 * services-loaded test checks they stay unloaded there); a gateway that does
 * must still get them. Each path is taken here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { SUPERGRAPH_PATH } from '@shop/schema';
import { describe, expect, it } from 'vitest';

describe('gateway dependencies loaded on first use (patched @apollo/gateway)', () => {
  it('a data source or an Uplink manager made without a fetcher gets make-fetch-happen, and Apollo telemetry its OpenTelemetry meter provider', () => {
    // A fresh process: what this one has loaded says nothing about when the gateway loads it.
    const script = `
      const loaded = (name) => Object.keys(require.cache).some((path) => path.includes('/node_modules/' + name + '/'));
      const { RemoteGraphQLDataSource, UplinkSupergraphManager } = require('@apollo/gateway');
      const before = { fetcher: loaded('make-fetch-happen'), telemetry: loaded('@opentelemetry/sdk-metrics') };
      const source = new RemoteGraphQLDataSource({ url: 'http://127.0.0.1:9/graphql' });
      // Made, not started: no call to Apollo's Uplink.
      const uplink = new UplinkSupergraphManager({ apiKey: 'service:test:key', graphRef: 'test@current' });
      const { createDataCollectionMeterProvider } = require('@apollo/gateway/dist/utilities/opentelemetry.js');
      const exporter = { export: (metrics, done) => done({ code: 0 }), forceFlush: async () => {}, shutdown: async () => {} };
      const provider = createDataCollectionMeterProvider(exporter);
      const after = { fetcher: loaded('make-fetch-happen'), telemetry: loaded('@opentelemetry/sdk-metrics') };
      console.log(JSON.stringify({ before, after, fetcher: typeof source.fetcher, uplinkFetcher: typeof uplink.fetcher, meter: typeof provider.getMeter('test').createObservableGauge }));
      // The cloud detectors' probes of metadata endpoints stay unanswered here: no need to wait for them.
      process.exit(0);
    `;
    const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(output)).toEqual({
      before: { fetcher: false, telemetry: false },
      after: { fetcher: true, telemetry: true },
      fetcher: 'function',
      uplinkFetcher: 'function',
      meter: 'function',
    });
  });

  it('a traced query plan asks the subgraph for its trace and records the plan (node-fetch Headers, protobuf nodes)', async () => {
    const requests: { headers: Record<string, string>; query: string }[] = [];
    const products: GraphQLDataSource = {
      async process({ request }) {
        requests.push({ headers: Object.fromEntries(request.http?.headers ?? []), query: request.query ?? '' });
        return { data: { products: { edges: [{ node: { id: 'p1', name: 'Mug' } }] } } };
      },
    };
    let queryPlanTrace: unknown;
    // What Apollo's usage reporting does for a sampled request: ask for traces, read the plan's.
    const tracing: ApolloServerPlugin = {
      async requestDidStart(requestContext) {
        requestContext.metrics.captureTraces = true;
        return {
          async willSendResponse(context) {
            queryPlanTrace = context.metrics.queryPlanTrace;
          },
        };
      },
    };
    const gateway = new ApolloGateway({ supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'), buildService: () => products });
    const server = new ApolloServer({ gateway, plugins: [tracing, ApolloServerPluginLandingPageDisabled()] });
    await server.start();
    try {
      const response = await server.executeOperation({ query: '{ products(first: 1) { edges { node { id name } } } }' });
      expect(response.body.kind === 'single' && response.body.singleResult).toEqual({ data: { products: { edges: [{ node: { id: 'p1', name: 'Mug' } }] } } });
      expect(requests).toHaveLength(1);
      expect(requests[0]!.headers['apollo-federation-include-trace']).toBe('ftv1');
      const trace = queryPlanTrace as { fetch?: { serviceName?: string; sentTime?: { seconds?: unknown } } } | undefined;
      expect(trace?.fetch?.serviceName).toBe('products');
      expect(Number(trace?.fetch?.sentTime?.seconds)).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });
});
