import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { GraphQLError } from 'graphql';
import { ANONYMOUS, ErrorCode, parseRoles, type Role, type Viewer } from '@shop/server';
import type { JwtConfig } from './config.js';

export type TokenVerifier = (authorization: string | undefined) => Promise<Viewer>;

/**
 * Turns an `Authorization` header into a viewer. No header: anonymous (each
 * field decides whether it needs a user). A header that is malformed, expired
 * or signed with another key: UNAUTHENTICATED for the whole request.
 */
export function createTokenVerifier(config: JwtConfig): TokenVerifier {
  const key: Uint8Array | JWTVerifyGetKey =
    config.kind === 'secret' ? new TextEncoder().encode(config.secret) : createRemoteJWKSet(new URL(config.jwksUrl));
  const options = {
    algorithms: config.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256', 'EdDSA'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  return async (authorization) => {
    if (!authorization) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <JWT>"');
    try {
      const { payload } = await (typeof key === 'function'
        ? jwtVerify(match[1], key, options)
        : jwtVerify(match[1], key, options));
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw unauthenticated('The token has no "sub" claim');
      return { userId: payload.sub, roles: parseRoles(payload['roles']) };
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('The token has expired');
      throw unauthenticated('The token could not be verified (bad signature, format or claims)');
    }
  };
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
