import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerConfigFromEnv } from '../config.js';
import { corsMiddleware, createCors, DEVELOPMENT_CORS_ORIGINS, parseCorsOrigins } from '../cors.js';

const STOREFRONT = 'http://127.0.0.1:5173';
const STRANGER = 'https://evil.example';

let server: Server;
let url: string;

beforeAll(async () => {
  // The router mounts the middleware ahead of /graphql; a stand-in route is enough to see what it adds.
  const app = express();
  app.use(corsMiddleware(createCors([STOREFRONT])));
  app.post('/graphql', (_req, res) => void res.json({ data: { ok: true } }));
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const preflight = (origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
  });
const post = (origin?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: '{}' });

describe('CORS allow-list', () => {
  it('answers an allowed origin’s preflight with the methods and headers it may use', async () => {
    const response = await preflight(STOREFRONT);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('lets an allowed origin read the answer and its request id', async () => {
    const response = await post(STOREFRONT);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
    expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('refuses another origin’s preflight and gives its requests no CORS header', async () => {
    const refused = await preflight(STRANGER);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const answered = await post(STRANGER);
    expect(answered.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('leaves same-origin and non-browser requests as they are', async () => {
    const response = await post();
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS', () => {
  it('defaults to the storefront’s development origins outside production, and to none in production', () => {
    expect(routerConfigFromEnv({}).corsOrigins).toEqual(DEVELOPMENT_CORS_ORIGINS);
    expect(routerConfigFromEnv({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), ...secrets() }).corsOrigins).toEqual([]);
  });

  it('takes a comma-separated list of origins', () => {
    expect(routerConfigFromEnv({ CORS_ORIGINS: 'https://shop.example.com, http://localhost:4173' }).corsOrigins).toEqual([
      'https://shop.example.com',
      'http://localhost:4173',
    ]);
    expect(parseCorsOrigins('', false)).toEqual([]);
  });

  it('refuses an entry that is not exactly an origin, naming it', () => {
    expect(() => routerConfigFromEnv({ CORS_ORIGINS: 'https://shop.example.com/' })).toThrow(/CORS_ORIGINS.*"https:\/\/shop\.example\.com\/"/);
    expect(() => parseCorsOrigins('shop.example.com', false)).toThrow(/got "shop\.example\.com"/);
  });
});

function secrets() {
  const secret = 's'.repeat(32);
  return { PRODUCTS_SUBGRAPH_SECRET: secret, ORDERS_SUBGRAPH_SECRET: secret, PAYMENTS_SUBGRAPH_SECRET: secret };
}
