import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** The policy as Express middleware, for every request the JSON POST route does not take. */
export function corsMiddleware(applyCors: CorsPolicy): RequestHandler {
  return (req, res, next) => {
    if (!applyCors(req, res)) next();
  };
}

/** Sets the CORS headers of an answer and answers a preflight itself; true when it answered. */
export type CorsPolicy = (req: IncomingMessage, res: ServerResponse) => boolean;

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
 *
 * Made on Node's own request and response: the router's JSON POST /graphql (no Express) applies it
 * directly, everything else through corsMiddleware.
 */
export function createCors(allowedOrigins: readonly string[]): CorsPolicy {
  const allowed = new Set(allowedOrigins);
  return (req, res) => {
    const { origin } = req.headers;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    // Answers differ by Origin: caches must not hand one origin's answer to another. Nothing sets Vary
    // before this runs (it comes first), so appending cannot repeat it.
    res.appendHeader('vary', 'Origin');
    if (origin === undefined) return false;
    if (!allowed.has(origin)) {
      if (!preflight) return false;
      res.statusCode = 403;
      res.end();
      return true;
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
    if (!preflight) return false;
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', ALLOWED_HEADERS.join(', '));
    res.setHeader('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
    res.statusCode = 204;
    res.end();
    return true;
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
