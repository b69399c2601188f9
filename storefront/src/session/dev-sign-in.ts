import { API_URL } from '../config.js';

/** The router's development sign-in (router/src/dev-sign-in.ts), beside its /graphql. */
const DEV_SIGN_IN_URL = new URL('/dev/sign-in', API_URL).toString();

export interface DevIdentity {
  identity: 'customer' | 'admin';
  label: string;
}

/** The one-click identities, or an empty list when the router offers none (production, or a JWKS). */
export async function listDevIdentities(): Promise<DevIdentity[]> {
  const response = await fetch(DEV_SIGN_IN_URL);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`The development sign-in answered HTTP ${response.status}`);
  return ((await response.json()) as { identities: DevIdentity[] }).identities;
}

/** A token for one of those identities. */
export async function devSignIn(identity: DevIdentity['identity']): Promise<string> {
  const response = await fetch(DEV_SIGN_IN_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity }) });
  if (!response.ok) throw new Error(`The development sign-in refused: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}
