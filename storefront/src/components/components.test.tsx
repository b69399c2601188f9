import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ShopApiError, type ShopClient } from '@shop/sdk';
import { describe, expect, it, vi } from 'vitest';
import { describeProblem } from '../api/errors.js';
import { ShopClientProvider } from '../api/shop-client.js';
import { MyOrdersPage } from '../pages/MyOrdersPage.js';
import { useSession } from '../session/session-store.js';
import { ErrorNotice } from './ErrorNotice.js';
import { ProductCard } from './ProductCard.js';
import { ProductForm } from './ProductForm.js';
import { explainCancellation } from './OrderStatus.js';

const apiError = (errors: ShopApiError['errors'], status = 200) => new ShopApiError(errors, status);
const product = { id: '7', sku: 'MUG-1', name: 'Mug', description: 'A mug', price: { amount: 1400, currency: 'EUR' }, stock: 2 };

describe('ProductForm', () => {
  it('shows the API’s errors next to the field their extensions.field names', () => {
    const problem = describeProblem(
      apiError([
        { message: 'input.price.currency must be an upper-case ISO-4217 code such as "EUR", got "eur"', extensions: { code: 'BAD_USER_INPUT', field: 'input.price.currency' } },
        { message: 'input.name must not be empty', extensions: { code: 'BAD_USER_INPUT', field: 'input.name' } },
      ]),
    );
    render(<ProductForm mode="create" problem={problem} onSubmit={() => {}} />);
    const currency = screen.getByRole('textbox', { name: 'Currency' });
    expect(currency).toHaveProperty('ariaInvalid', 'true');
    expect(currency.getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(currency.getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent).toMatch(/upper-case ISO-4217/);
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveProperty('ariaInvalid', 'true');
    expect(screen.getByRole('textbox', { name: 'SKU' })).toHaveProperty('ariaInvalid', null);
    // Placed beside their fields, so no general alert repeats them.
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('puts a duplicate SKU (CONFLICT, no field) next to the SKU', () => {
    render(<ProductForm mode="create" problem={describeProblem(apiError([{ message: 'A product with sku "MUG-1" already exists', extensions: { code: 'CONFLICT' } }]))} onSubmit={() => {}} />);
    expect(screen.getByRole('textbox', { name: 'SKU' })).toHaveProperty('ariaInvalid', 'true');
  });

  it('sends the price in minor units, and refuses a price it cannot read without calling the API', async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    render(<ProductForm mode="create" onSubmit={onSubmit} />);
    await user.type(screen.getByRole('textbox', { name: 'SKU' }), 'HAT-1');
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Hat');
    await user.type(screen.getByRole('textbox', { name: 'Price' }), '12,5');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect(onSubmit).toHaveBeenCalledWith({ sku: 'HAT-1', name: 'Hat', description: '', price: { amount: 1250, currency: 'EUR' }, stock: 0 });

    onSubmit.mockClear();
    await user.clear(screen.getByRole('textbox', { name: 'Price' }));
    await user.type(screen.getByRole('textbox', { name: 'Price' }), 'twelve');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('textbox', { name: 'Price' })).toHaveProperty('ariaInvalid', 'true');
  });
});

describe('ProductCard', () => {
  it('cannot add an out-of-stock product, nor more than the stock', async () => {
    const onAdd = vi.fn();
    const { rerender } = render(<ProductCard product={{ ...product, stock: 0 }} inCart={0} onAdd={onAdd} />);
    expect(screen.getByRole('button', { name: 'Sold out' })).toHaveProperty('disabled', true);
    rerender(<ProductCard product={product} inCart={2} onAdd={onAdd} />);
    expect(screen.getByRole('button', { name: 'All in cart' })).toHaveProperty('disabled', true);
    rerender(<ProductCard product={product} inCart={1} onAdd={onAdd} />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(onAdd).toHaveBeenCalledOnce();
    expect(screen.getByText('€14.00')).toBeTruthy();
  });
});

describe('error states', () => {
  it('explains an unreachable API, an expired token and a subgraph that is down', () => {
    expect(describeProblem(new TypeError('Failed to fetch')).kind).toBe('unreachable');
    expect(describeProblem(apiError([{ message: 'The token has expired', extensions: { code: 'UNAUTHENTICATED' } }], 401)).kind).toBe('unauthenticated');
    expect(describeProblem(apiError([{ message: 'products is unavailable', extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }])).kind).toBe('unavailable');
  });

  it('offers a retry for a failure that may pass, and a sign-in for an expired token', async () => {
    const onRetry = vi.fn();
    const { rerender } = render(<ErrorNotice problem={describeProblem(new TypeError('Failed to fetch'))} onRetry={onRetry} />);
    expect(screen.getByRole('alert').textContent).toMatch(/cannot be reached/);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
    expect(onRetry).toHaveBeenCalledOnce();
    rerender(<ErrorNotice problem={describeProblem(apiError([{ message: 'expired', extensions: { code: 'UNAUTHENTICATED' } }], 401))} onRetry={onRetry} />);
    expect(screen.getByRole('link', { name: 'Sign in' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
  });

  it('says why an order was cancelled, with the card’s reason', () => {
    expect(explainCancellation('PAYMENT_DECLINED', 'insufficient_funds')).toBe('The payment was declined. The card has insufficient funds.');
    expect(explainCancellation('OUT_OF_STOCK', null)).toMatch(/Not enough stock/);
  });

  it('shows the orders when the payments subgraph is unavailable, their payments marked unavailable', async () => {
    useSession.setState({ token: 't', userId: 'alice', roles: ['customer'] });
    const order = { id: '42', customerId: 'alice', status: 'CONFIRMED', cancellationReason: null, createdAt: '2026-01-31T12:00:00.000Z', updatedAt: '2026-01-31T12:00:00.000Z', items: [], total: { amount: 2800, currency: 'EUR' }, payment: null };
    // The router's answer when payments cannot answer its part: the data, and an error on the missing field.
    const client = {
      execute: () =>
        Promise.resolve({
          status: 200,
          data: { orders: { edges: [{ cursor: 'c1', node: order }], pageInfo: { hasNextPage: false, endCursor: 'c1' }, totalCount: 1 } },
          errors: [{ message: 'payments is unavailable', path: ['orders', 'edges', 0, 'node', 'payment'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }],
        }),
    } as unknown as ShopClient;
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <ShopClientProvider client={client}>
          <MyOrdersPage />
        </ShopClientProvider>
      </QueryClientProvider>,
    );
    expect(await screen.findByText(/Payment details are unavailable right now/)).toBeTruthy();
    const row = screen.getByRole('row', { name: /42/ });
    expect(within(row).getByText('€28.00')).toBeTruthy();
    expect(within(row).getByText('unavailable')).toBeTruthy();
  });
});
