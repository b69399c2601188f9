import express, { type Express } from 'express';
import type { Role } from '@shop/graphql';
import { signDevelopmentToken } from './auth.js';
import type { JwtConfig } from './config.js';

export const DEV_SIGN_IN_PATH = '/dev/sign-in';

/** The identities a developer can sign in as with one click: the demo customer of the start banner, and an admin. */
export const DEV_IDENTITIES = {
  customer: { sub: 'alice', roles: ['customer'], label: 'Alice (demo customer)' },
  admin: { sub: 'admin', roles: ['admin'], label: 'Admin' },
} as const satisfies Record<string, { sub: string; roles: Role[]; label: string }>;
type IdentityName = keyof typeof DEV_IDENTITIES;

const TOKEN_LIFETIME = '12h';

/**
 * One-click sign-in for development: `GET /dev/sign-in` lists the identities,
 * `POST /dev/sign-in {"identity":"customer"|"admin"}` answers a token signed
 * like the start banner's. There is no identity provider in this project; this
 * stands in for one so the storefront can be used without pasting tokens.
 *
 * Mounted only in development with an HS256 secret (a JWKS cannot be signed
 * with): in production the path does not exist (404), so no configuration
 * mistake can hand out admin tokens from a public router.
 */
export function mountDevSignIn(app: Express, options: { production: boolean; jwt: JwtConfig }): boolean {
  const { production, jwt } = options;
  if (production || jwt.kind !== 'secret') return false;
  const secret = jwt.secret;
  app.get(DEV_SIGN_IN_PATH, (_req, res) => {
    res.json({ identities: Object.entries(DEV_IDENTITIES).map(([identity, { sub, roles, label }]) => ({ identity, sub, roles, label })) });
  });
  app.post(DEV_SIGN_IN_PATH, express.json({ limit: '1kb' }), async (req, res) => {
    const requested: unknown = (req.body as { identity?: unknown } | undefined)?.identity;
    if (typeof requested !== 'string' || !Object.hasOwn(DEV_IDENTITIES, requested)) {
      res.status(400).json({ message: `Expected {"identity": ${Object.keys(DEV_IDENTITIES).map((name) => `"${name}"`).join(' or ')}}, got ${JSON.stringify(req.body ?? null)}` });
      return;
    }
    const { sub, roles } = DEV_IDENTITIES[requested as IdentityName];
    const token = await signDevelopmentToken(secret, { sub, roles: [...roles], expiresIn: TOKEN_LIFETIME });
    res.json({ token, sub, roles });
  });
  return true;
}
