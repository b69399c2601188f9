import type { RequestHandler } from 'express';

/**
 * Origins the storefront's development server runs on (Vite's default port),
 * allowed when CORS_ORIGINS is not set outside production.
 */
export const DEVELOPMENT_CORS_ORIGINS: readonly string[] = ['http://localhost:5173', 'http://127.0.0.1:5173'];

/** Headers a browser client may send: JSON bodies, a token, its own request id and Apollo's CSRF preflight headers. */
const ALLOWED_HEADERS = ['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight', 'x-apollo-operation-name'];
/** So a browser client can read the request id it is answered, to quote it in a bug report. */
const EXPOSED_HEADERS = ['x-request-id'];
/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * Cross-origin access for browser clients (the storefront), from an
 * allow-list of exact origins (`CORS_ORIGINS`). An allowed origin gets
 * `Access-Control-Allow-Origin` echoed back and its preflight answered 204;
 * any other origin gets no CORS header at all, so the browser refuses to
 * hand it the answer, and its preflight is answered 403.
 *
 * No credentials are allowed: the API authenticates with a bearer token the
 * client sends itself, never with cookies, so a page of another origin cannot
 * ride on a signed-in user's session.
 */
export function corsMiddleware(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.get('origin');
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    // Answers differ by Origin: caches must not hand one origin's answer to another.
    res.vary('Origin');
    if (origin === undefined) return next();
    if (!allowed.has(origin)) {
      if (preflight) return void res.status(403).end();
      return next();
    }
    res.set('access-control-allow-origin', origin);
    res.set('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
    if (!preflight) return next();
    res.set('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.set('access-control-allow-headers', ALLOWED_HEADERS.join(', '));
    res.set('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
    res.status(204).end();
  };
}

/**
 * Reads CORS_ORIGINS: a comma-separated list of origins (`scheme://host[:port]`,
 * no path). Unset: the storefront's development origins outside production,
 * none in production (a deployment names its storefront's origin).
 */
export function parseCorsOrigins(value: string | undefined, production: boolean): string[] {
  if (value === undefined) return production ? [] : [...DEVELOPMENT_CORS_ORIGINS];
  const origins = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // The Origin header a browser sends is exactly scheme://host[:port]; anything else could never match.
    if (parsed?.origin !== origin) {
      throw new Error(`CORS_ORIGINS: expected origins like https://shop.example.com (scheme, host, optional port, no path or trailing slash), got "${origin}"`);
    }
  }
  return origins;
}
