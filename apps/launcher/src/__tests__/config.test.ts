import { describe, expect, it } from 'vitest';
import { createLogger } from '@shop/observability';
import { launcherConfigFromEnv } from '../config.js';
import { startSupergraph } from '../supergraph.js';

// What a deployment gives one container (docker-compose.yml): production, one service.
const secret = (name: string) => `${name}-0123456789abcdef0123456789abcdef`;
const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://shop@postgres:5432/shop', NATS_URL: 'nats://nats:4222' };

describe('configuration of a process running some of the services', () => {
  it('lets a subgraph start in production with its own secret only, without the router’s settings', () => {
    const config = launcherConfigFromEnv({ ...production, SERVICES: 'orders', ORDERS_SUBGRAPH_SECRET: secret('orders') });
    expect(config.router).toBeUndefined();
    expect(config.subgraphSecrets).toEqual({ orders: secret('orders') });
  });

  it('refuses a production subgraph without its secret', () => {
    expect(() => launcherConfigFromEnv({ ...production, SERVICES: 'orders', PRODUCTS_SUBGRAPH_SECRET: secret('products') })).toThrow(
      /set ORDERS_SUBGRAPH_SECRET in production/,
    );
  });

  it('refuses the placeholders of deploy/.env.example', () => {
    expect(() => launcherConfigFromEnv({ ...production, SERVICES: 'orders', ORDERS_SUBGRAPH_SECRET: 'replace-me-orders-subgraph-secret' })).toThrow(
      /placeholder from deploy\/.env.example/,
    );
    const router = { ...production, SERVICES: 'router', PRODUCTS_SUBGRAPH_SECRET: secret('p'), ORDERS_SUBGRAPH_SECRET: secret('o'), PAYMENTS_SUBGRAPH_SECRET: secret('y') };
    expect(() => launcherConfigFromEnv({ ...router, JWT_SECRET: 'replace-me-jwt-secret-at-least-32-characters-long' })).toThrow(/placeholder/);
    expect(launcherConfigFromEnv({ ...router, JWT_SECRET: secret('jwt') }).router?.subgraphSecrets).toEqual({
      products: secret('p'),
      orders: secret('o'),
      payments: secret('y'),
    });
  });

  it('runs a router alone without opening any database', async () => {
    const config = launcherConfigFromEnv({
      NODE_ENV: 'development',
      SERVICES: 'router',
      ROUTER_PORT: '0',
      // Unusable on purpose: a router must not touch a database.
      DATA_DIR: '/proc/not-a-place-for-data',
    });
    const supergraph = await startSupergraph(config, createLogger('test', 'warn'));
    try {
      expect(supergraph.databaseHost).toBeUndefined();
      const response = await fetch(`${new URL(supergraph.router!.url).origin}/health`);
      expect(response.status).toBe(200);
    } finally {
      await supergraph.stop();
    }
  });
});
