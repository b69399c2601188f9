import { expect, test } from '@playwright/test';
import { E2E } from './ports.js';
import { createProduct, expiredToken, freshStart, screenshot, signIn } from './support.js';

test.beforeEach(async ({ page }) => {
  await freshStart(page);
});

test('an admin restock appears in the catalog', async ({ page }) => {
  const product = await createProduct('Restocked stool', 3);
  await signIn(page, 'admin');
  await page.getByRole('link', { name: `Edit ${product.name}` }).click();
  await page.getByRole('spinbutton', { name: 'Units to add' }).fill('7');
  await page.getByRole('button', { name: 'Restock' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Restocked: 10 available.' })).toBeVisible();
  await screenshot(page, 'admin-product');
  await page.getByRole('link', { name: 'Catalog', exact: true }).click();
  await expect(page.getByRole('article', { name: product.name })).toContainText('10 in stock');
});

test('the API’s validation errors appear next to the field they name', async ({ page }) => {
  await signIn(page, 'admin');
  const form = page.getByRole('form', { name: 'New product' });
  await form.getByRole('textbox', { name: 'SKU' }).fill(`E2E-BAD-${Date.now()}`);
  await form.getByRole('textbox', { name: 'Name' }).fill('Lowercase currency');
  await form.getByRole('textbox', { name: 'Price' }).fill('12.50');
  await form.getByRole('textbox', { name: 'Currency' }).fill('eur');
  await form.getByRole('button', { name: 'Create product' }).click();
  const currency = form.getByRole('textbox', { name: 'Currency' });
  await expect(currency).toHaveAttribute('aria-invalid', 'true');
  await expect(currency).toHaveAccessibleDescription(/upper-case ISO-4217 code/);
  await screenshot(page, 'admin-field-error');

  await currency.fill('EUR');
  await form.getByRole('textbox', { name: 'Name' }).fill('');
  await form.getByRole('button', { name: 'Create product' }).click();
  await expect(form.getByRole('textbox', { name: 'Name' })).toHaveAccessibleDescription(/must not be empty/);
  await expect(currency).not.toHaveAttribute('aria-invalid', 'true');
});

test('the safelist-mode router serves the production build: hashes only, and free-form queries are refused', async ({ page }) => {
  const sent: unknown[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/graphql') && request.method() === 'POST') sent.push(request.postDataJSON());
  });
  await page.goto('/');
  await expect(page.getByRole('list', { name: 'Products' }).getByRole('listitem').first()).toBeVisible();
  expect(sent.length).toBeGreaterThan(0);
  for (const body of sent) {
    expect(body).toMatchObject({ documentId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(body).not.toHaveProperty('query');
  }
  const refused = await fetch(`${E2E.routerOrigin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
  });
  expect(JSON.stringify(await refused.json())).toContain('QUERY_NOT_IN_SAFELIST');
});

test('an unreachable API is explained, with a way to retry', async ({ page }) => {
  await page.route('**/graphql', (route) => route.abort('connectionrefused'));
  await page.goto('/');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('The shop cannot be reached');
  await screenshot(page, 'api-unreachable');
  await page.unroute('**/graphql');
  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('list', { name: 'Products' }).getByRole('listitem').first()).toBeVisible();
});

test('an expired token signs the user out with an explanation, the cart kept', async ({ page }) => {
  await page.evaluate((token) => {
    localStorage.setItem('shop.session', JSON.stringify({ state: { token, userId: 'alice', roles: ['customer'] }, version: 0 }));
    localStorage.setItem(
      'shop.cart',
      JSON.stringify({ state: { lines: [{ productId: '1', name: 'Kept mug', unitPrice: { amount: 1400, currency: 'EUR' }, quantity: 1, stock: 5 }] }, version: 0 }),
    );
  }, expiredToken('alice'));
  await page.goto('/#/orders');
  await page.reload(); // a hash change alone would keep the page's state: start it from the storage set above
  await expect(page.getByText('Your sign-in expired. Please sign in again; your cart is kept.')).toBeVisible();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Cart (1)' })).toBeVisible();
});
