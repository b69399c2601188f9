/**
 * Where the shop's API is. Set at build time with VITE_SHOP_API_URL; without
 * it, the router's default port on the host the page came from, which is what
 * `npm start` serves in development.
 */
export const API_URL: string = import.meta.env.VITE_SHOP_API_URL ?? `${location.protocol}//${location.hostname}:4000/graphql`;

/**
 * Production builds send each operation as its persisted-document hash only,
 * never its text, so they work against a router that runs only the SDK's
 * manifest (PERSISTED_DOCUMENTS_ONLY=true). Development sends the text,
 * which Sandbox-style debugging and a router without the manifest both read.
 */
export const PERSISTED_DOCUMENTS: 'hash-only' | undefined = import.meta.env.PROD ? 'hash-only' : undefined;
