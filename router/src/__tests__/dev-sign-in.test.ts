import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../auth.js';
import { DEVELOPMENT_JWT_SECRET, type JwtConfig } from '../config.js';
import { DEV_SIGN_IN_PATH, mountDevSignIn } from '../dev-sign-in.js';

const jwt: JwtConfig = { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, issuer: undefined, audience: undefined };
let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(options: Parameters<typeof mountDevSignIn>[1]): Promise<string> {
  const app = express();
  mountDevSignIn(app, options);
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${DEV_SIGN_IN_PATH}`;
}

const signIn = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('development sign-in', () => {
  it('lists the identities and signs a token the router accepts, for the customer and the admin', async () => {
    const url = await serve({ production: false, jwt });
    const listed = (await (await fetch(url)).json()) as { identities: { identity: string }[] };
    expect(listed.identities.map(({ identity }) => identity)).toEqual(['customer', 'admin']);

    const verify = createTokenVerifier(jwt);
    const customer = (await (await signIn(url, { identity: 'customer' })).json()) as { token: string };
    expect(await verify(`Bearer ${customer.token}`)).toEqual({ userId: 'alice', roles: new Set(['customer']) });
    const admin = (await (await signIn(url, { identity: 'admin' })).json()) as { token: string };
    expect(await verify(`Bearer ${admin.token}`)).toEqual({ userId: 'admin', roles: new Set(['admin']) });
  });

  it('refuses an unknown identity with what it expected', async () => {
    const url = await serve({ production: false, jwt });
    const response = await signIn(url, { identity: 'root' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/Expected \{"identity": "customer" or "admin"\}, got \{"identity":"root"\}/);
  });

  it('does not exist in production', async () => {
    const url = await serve({ production: true, jwt: { ...jwt, secret: 'p'.repeat(32) } });
    expect((await fetch(url)).status).toBe(404);
    const response = await signIn(url, { identity: 'admin' });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toMatch(/eyJ/); // no token of any kind
  });

  it('does not exist when tokens are verified with a JWKS (the router holds no key to sign with)', async () => {
    const url = await serve({ production: false, jwt: { kind: 'jwks', jwksUrl: 'https://idp.example/jwks', issuer: undefined, audience: undefined } });
    expect((await signIn(url, { identity: 'customer' })).status).toBe(404);
  });
});
