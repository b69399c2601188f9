import { expect, test } from '@playwright/test';
import { api, cardProvider, createProduct, devToken, freshStart, screenshot, signIn } from './support.js';

test.beforeEach(async ({ page }) => {
  await freshStart(page);
});

test('browse, search, load more, add two products and check out with a Visa: CONFIRMED', async ({ page }) => {
  await page.goto('/');
  const products = page.getByRole('list', { name: 'Products' }).getByRole('listitem');
  await expect(products.first()).toBeVisible();
  const firstPage = await products.count();
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect.poll(() => products.count()).toBeGreaterThan(firstPage);
  await screenshot(page, 'catalog');

  await page.getByRole('searchbox', { name: 'Search products' }).fill('T-shirt');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'matching “T-shirt”' })).toBeVisible();
  await expect(products).toHaveCount(2);
  await page.getByRole('link', { name: 'Black T-shirt (M)' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Black T-shirt (M)' })).toBeVisible();
  await expect(page.getByText('€25.00')).toBeVisible();
  await screenshot(page, 'product');
  await page.getByRole('button', { name: 'Add to cart' }).click();

  await page.getByRole('link', { name: '← Catalog' }).click();
  await page.getByRole('searchbox', { name: 'Search products' }).fill('mug');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('article', { name: 'Enamel camp mug' }).getByRole('button', { name: 'Add to cart' }).click();

  await page.getByRole('link', { name: 'Cart (2)' }).click();
  await page.getByRole('button', { name: 'One more: Quantity of Enamel camp mug' }).click();
  // 25.00 + 2 × 14.00, in cents all the way.
  await expect(page.getByTestId('cart-total-EUR')).toHaveText('€53.00');
  await screenshot(page, 'cart');

  await signIn(page, 'customer');
  await page.goto('/#/checkout');
  await page.getByRole('radio', { name: /Visa ending 4242/ }).check();
  await screenshot(page, 'checkout');
  await page.getByRole('button', { name: 'Place order' }).click();
  await expect(page.getByRole('heading', { name: 'Order confirmed' })).toBeVisible();
  const status = page.getByRole('region', { name: 'Order status' });
  await expect(status.locator('[data-status="CONFIRMED"]')).toBeVisible();
  // The total the API priced the order at.
  await expect(status).toContainText('€53.00');
  await expect(page.getByRole('link', { name: 'Cart (0)' })).toBeVisible();
  await screenshot(page, 'order-confirmed');
});

test('a declined card shows the reason and keeps the cart', async ({ page }) => {
  const product = await createProduct('Declined lamp', 5);
  await signIn(page, 'customer');
  await page.goto(`/#/products/${product.id}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.goto('/#/checkout');
  await page.getByRole('radio', { name: /Mastercard that is declined/ }).check();
  await page.getByRole('button', { name: 'Place order' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('was not placed');
  await expect(alert).toContainText('The payment was declined. Your bank declined the card.');
  await expect(page.getByRole('link', { name: 'Cart (1)' })).toBeVisible();
  await screenshot(page, 'checkout-declined');
  // Another card is another order, with a key of its own: it goes through.
  await page.getByRole('radio', { name: /Visa ending 4242/ }).check();
  await page.getByRole('button', { name: 'Place order' }).click();
  await expect(page.getByRole('heading', { name: 'Order confirmed' })).toBeVisible();
});

test('more than the stock: the order is cancelled OUT_OF_STOCK, nothing charged, the cart kept', async ({ page }) => {
  const product = await createProduct('Scarce vase', 2);
  await signIn(page, 'customer');
  await page.goto(`/#/products/${product.id}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('button', { name: 'All in cart' })).toBeDisabled();
  // Someone else buys one of the two while they sit in this cart.
  const customer = await devToken('customer');
  await api('PlaceOrder', { input: { items: [{ productId: product.id, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: `other-${Date.now()}` } }, customer);
  await page.goto('/#/checkout');
  await page.getByRole('button', { name: 'Place order' }).click();
  await expect(page.getByRole('alert')).toContainText('Not enough stock was left');
  await expect(page.getByRole('link', { name: 'Cart (2)' })).toBeVisible();
});

test('a reload in the middle of a checkout gives the same order', async ({ page }) => {
  const product = await createProduct('Reload kettle', 5);
  await signIn(page, 'customer');
  await page.goto(`/#/products/${product.id}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.goto('/#/checkout');
  await cardProvider('down'); // the order stays PENDING while we look
  try {
    // The order is placed, but the page never hears back: it reloads before the answer arrives.
    let placedId: string | undefined;
    await page.route('**/graphql', async (route) => {
      if (!route.request().postData()?.includes('"PlaceOrder"')) return route.continue();
      const answer = (await (await route.fetch()).json()) as { data: { placeOrder: { id: string } } };
      placedId = answer.data.placeOrder.id;
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Place order' }).click();
    await expect.poll(() => placedId).toBeTruthy();
    await page.unroute('**/graphql');
    await page.reload();

    await page.getByRole('button', { name: 'Place order' }).click();
    const status = page.getByRole('region', { name: 'Order status' });
    await expect(status).toContainText(placedId ?? 'no id');
    await expect(status.locator('[data-status="PENDING"]')).toBeVisible();
    await screenshot(page, 'order-pending');
    // Only one order was made for it.
    const { orders } = await api<{ orders: { edges: { node: { id: string; items: { product: { id: string } }[] } }[] } }>('Orders', { first: 50 }, await devToken('customer'));
    expect(orders.edges.filter(({ node }) => node.items.some((item) => item.product.id === product.id))).toHaveLength(1);
  } finally {
    await cardProvider('up');
  }
  await expect(page.getByRole('heading', { name: 'Order confirmed' })).toBeVisible({ timeout: 30_000 });
});

test('the outcome of a pending order arrives live, over the order status subscription (WebSocket)', async ({ page }) => {
  const product = await createProduct('Live kettle', 5);
  await signIn(page, 'customer');
  await page.goto(`/#/products/${product.id}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.goto('/#/checkout');
  const frames: string[] = [];
  page.on('websocket', (socket) => {
    if (new URL(socket.url()).pathname === '/graphql') socket.on('framereceived', ({ payload }) => frames.push(String(payload)));
  });
  await cardProvider('down'); // PENDING until the provider is back
  try {
    await page.getByRole('button', { name: 'Place order' }).click();
    await expect(page.getByRole('region', { name: 'Order status' }).locator('[data-status="PENDING"]')).toBeVisible();
    await expect.poll(() => frames.some((frame) => frame.includes('"orderStatusChanged"') && frame.includes('"PENDING"'))).toBe(true);
  } finally {
    await cardProvider('up');
  }
  await expect(page.getByRole('heading', { name: 'Order confirmed' })).toBeVisible({ timeout: 30_000 });
  expect(frames.some((frame) => frame.includes('"orderStatusChanged"') && frame.includes('"CONFIRMED"'))).toBe(true);
});

test('cancel a pending order from My orders', async ({ page }) => {
  const product = await createProduct('Cancelled clock', 5);
  await signIn(page, 'customer');
  await page.goto(`/#/products/${product.id}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await cardProvider('down');
  try {
    await page.goto('/#/checkout');
    await page.getByRole('button', { name: 'Place order' }).click();
    const status = page.getByRole('region', { name: 'Order status' });
    await expect(status.locator('[data-status="PENDING"]')).toBeVisible();
    const orderId = (await status.locator('code').textContent()) ?? '';

    await page.getByRole('link', { name: 'My orders' }).click();
    const row = page.locator(`tr[data-order-id="${orderId}"]`);
    await expect(row.locator('[data-status="PENDING"]')).toBeVisible();
    await screenshot(page, 'my-orders');
    await row.getByRole('button', { name: `Cancel order ${orderId}` }).click();
    await expect(row.locator('[data-status="CANCELLED"]')).toBeVisible();
    await expect(row.getByRole('button', { name: /Cancel order/ })).toHaveCount(0);
  } finally {
    await cardProvider('up');
  }
});
