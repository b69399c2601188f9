import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { E2E } from './ports.js';

/**
 * What the tests do behind the page's back, through the same router: the
 * router runs persisted documents only, so operations are sent by their
 * manifest hash, as the storefront's build sends them.
 */
const manifest = JSON.parse(readFileSync(new URL('../../sdk/src/__generated__/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;

function documentIdOf(operationName: string): string {
  const entry = Object.entries(manifest).find(([, text]) => new RegExp(`\\b(query|mutation|subscription) ${operationName}\\b`).test(text));
  if (!entry) throw new Error(`No operation ${operationName} in the SDK's persisted-documents manifest`);
  return entry[0];
}

export async function api<T = Record<string, unknown>>(operationName: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(`${E2E.routerOrigin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ documentId: documentIdOf(operationName), operationName, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`${operationName} failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A token from the router's development sign-in, as the page's button gets one. */
export async function devToken(identity: 'customer' | 'admin'): Promise<string> {
  const response = await fetch(`${E2E.routerOrigin}/dev/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity }) });
  return ((await response.json()) as { token: string }).token;
}

/** A token signed with the development secret the e2e router verifies with, that expired an hour ago. */
export function expiredToken(sub: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256' })}.${encode({ sub, roles: ['customer'], iat: now - 7200, exp: now - 3600 })}`;
  const signature = createHmac('sha256', 'development-only-secret-do-not-use-in-production').update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/** Signs in with the page's one-click development sign-in. */
export async function signIn(page: Page, identity: 'customer' | 'admin'): Promise<void> {
  await page.goto('/#/sign-in');
  await page.getByRole('button', { name: identity === 'admin' ? 'Sign in as Admin' : 'Sign in as Alice (demo customer)' }).click();
  await expect(page.getByText(`Signed in as ${identity === 'admin' ? 'admin' : 'alice'}`)).toBeVisible();
}

/** The card provider simulator's fault switch: while it is down, payments stay PENDING and are retried. */
export async function cardProvider(state: 'down' | 'up'): Promise<void> {
  const response = await fetch(`${E2E.providerOrigin}/_admin/faults`, {
    method: state === 'down' ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    ...(state === 'down' ? { body: JSON.stringify({ down: true }) } : {}),
  });
  expect(response.ok, `card provider faults answered HTTP ${response.status}`).toBe(true);
}

/** A product of its own for a test, so no test depends on another's stock. */
export async function createProduct(name: string, stock: number, amount = 1500): Promise<{ id: string; name: string }> {
  const admin = await devToken('admin');
  const sku = `E2E-${name.replace(/\W+/g, '-').toUpperCase()}-${Date.now()}`;
  const { createProduct } = await api<{ createProduct: { id: string; name: string } }>(
    'CreateProduct',
    { input: { sku, name, description: 'Made by the e2e run.', price: { amount, currency: 'EUR' }, stock } },
    admin,
  );
  return createProduct;
}

/** Starts every test from an empty browser storage: no cart, no session. */
export async function freshStart(page: Page): Promise<void> {
  await page.goto('/');
  await page.evaluate(() => localStorage.clear());
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`../screenshots/${name}.png`, import.meta.url).pathname, fullPage: true });
}
