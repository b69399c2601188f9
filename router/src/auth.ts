import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { GraphQLError } from 'graphql';
import { ANONYMOUS, ErrorCode, parseRoles, type Role, type Viewer } from '@shop/graphql';
import type { JwtConfig } from './config.js';

/** A token's viewer, and when the token expires (ms since epoch; undefined: never, or no token). */
export interface VerifiedToken {
  viewer: Viewer;
  expiresAtMs: number | undefined;
}

/** Turns an `Authorization` header into a viewer; `.withExpiry` also says when the token expires (subscriptions end then). */
export type TokenVerifier = ((authorization: string | undefined) => Promise<Viewer>) & {
  withExpiry(authorization: string | undefined): Promise<VerifiedToken>;
};

/**
 * Turns an `Authorization` header into a viewer. No header: anonymous (each
 * field decides whether it needs a user). A header that is malformed, expired
 * or signed with another key: UNAUTHENTICATED for the whole request.
 */
export function createTokenVerifier(config: JwtConfig): TokenVerifier {
  // Imported once: given raw bytes, jose imports the key again on every verification.
  const key: Promise<CryptoKey> | JWTVerifyGetKey =
    config.kind === 'secret'
      ? crypto.subtle.importKey('raw', new TextEncoder().encode(config.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      : createRemoteJWKSet(new URL(config.jwksUrl));
  const options = {
    algorithms: config.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256', 'EdDSA'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  const verified = new VerifiedTokens();
  const withExpiry = async (authorization: string | undefined): Promise<VerifiedToken> => {
    if (!authorization) return { viewer: ANONYMOUS, expiresAtMs: undefined };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <JWT>"');
    const token = match[1];
    const known = verified.get(token);
    if (known === 'expired') throw unauthenticated('The token has expired');
    if (known) return known;
    try {
      const { payload } = await (typeof key === 'function' ? jwtVerify(token, key, options) : jwtVerify(token, await key, options));
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw unauthenticated('The token has no "sub" claim');
      const viewer: Viewer = { userId: payload.sub, roles: parseRoles(payload['roles']) };
      return verified.set(token, viewer, payload.exp);
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('The token has expired');
      throw unauthenticated('The token could not be verified (bad signature, format or claims)');
    }
  };
  return Object.assign(async (authorization: string | undefined) => (await withExpiry(authorization)).viewer, { withExpiry });
}

/**
 * Tokens already verified, so a client's next request with the same token
 * skips the signature check (the router's largest cost per request after the
 * subgraph calls). Only a byte-identical token hits; its expiry is still
 * checked on every use, and an entry is kept 5 minutes at most, so a key
 * rotation (JWKS) takes effect within that. Bounded: the oldest entries go first.
 */
class VerifiedTokens {
  static readonly MAX_ENTRIES = 10_000;
  static readonly MAX_AGE_MS = 5 * 60_000;
  readonly #entries = new Map<string, { viewer: Viewer; validUntilMs: number; expiresAtMs: number }>();

  get(token: string): VerifiedToken | 'expired' | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    const now = Date.now();
    if (now >= entry.expiresAtMs) {
      this.#entries.delete(token);
      return 'expired';
    }
    if (now >= entry.validUntilMs) {
      this.#entries.delete(token);
      return undefined;
    }
    return { viewer: entry.viewer, expiresAtMs: Number.isFinite(entry.expiresAtMs) ? entry.expiresAtMs : undefined };
  }

  set(token: string, viewer: Viewer, exp: number | undefined): VerifiedToken {
    const now = Date.now();
    const expiresAtMs = exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000;
    if (this.#entries.size >= VerifiedTokens.MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { viewer, validUntilMs: Math.min(expiresAtMs, now + VerifiedTokens.MAX_AGE_MS), expiresAtMs });
    return { viewer, expiresAtMs: exp === undefined ? undefined : expiresAtMs };
  }
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Unauthenticated, http: { status: 401 } } });
}

/** Mints an HS256 token for development and tests. */
export async function signDevelopmentToken(
  secret: string,
  claims: { sub: string; roles: Role[]; expiresIn?: string },
): Promise<string> {
  return new SignJWT({ roles: claims.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(secret));
}
