import { describe, expect, it } from 'vitest';
import { createTokenVerifier, signDevelopmentToken } from '../auth.js';

const secret = 'a-test-secret-of-at-least-32-characters!';
const verify = () => createTokenVerifier({ kind: 'secret', secret, issuer: undefined, audience: undefined });

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { extensions?: { code?: unknown } }).extensions?.code;
  }
}

describe('token verifier', () => {
  it('answers a repeated token with the same viewer, and still refuses a tampered copy of it', async () => {
    const verifier = verify();
    const token = await signDevelopmentToken(secret, { sub: 'alice', roles: ['customer'] });
    expect(await verifier(`Bearer ${token}`)).toEqual({ userId: 'alice', roles: new Set(['customer']) });
    expect(await verifier(`Bearer ${token}`)).toEqual({ userId: 'alice', roles: new Set(['customer']) });
    const [header, payload, signature] = token.split('.');
    const otherSignature = `${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    expect(await codeOf(verifier(`Bearer ${header}.${payload}.${otherSignature}`))).toBe('UNAUTHENTICATED');
    const forged = await signDevelopmentToken('another-secret-of-at-least-32-characters', { sub: 'alice', roles: ['admin'] });
    expect(await codeOf(verifier(`Bearer ${forged}`))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token once it has expired, though it was verified while valid', async () => {
    const verifier = verify();
    const token = await signDevelopmentToken(secret, { sub: 'bob', roles: ['customer'], expiresIn: '1s' });
    expect(await verifier(`Bearer ${token}`)).toMatchObject({ userId: 'bob' });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(verifier(`Bearer ${token}`)).rejects.toThrow('The token has expired');
  });
});
