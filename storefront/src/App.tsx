import { Component, useState, type ReactNode } from 'react';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { isUnauthenticated } from './api/errors.js';
import { ShopClientProvider } from './api/shop-client.js';
import { Layout } from './components/Layout.js';
import { AdminPage } from './pages/AdminPage.js';
import { AdminProductPage } from './pages/AdminProductPage.js';
import { CartPage } from './pages/CartPage.js';
import { CatalogPage } from './pages/CatalogPage.js';
import { CheckoutPage } from './pages/CheckoutPage.js';
import { MyOrdersPage } from './pages/MyOrdersPage.js';
import { OrderPage } from './pages/OrderPage.js';
import { ProductPage } from './pages/ProductPage.js';
import { SignInPage } from './pages/SignInPage.js';
import { Link, matchPath, usePath } from './router.js';
import { useSession } from './session/session-store.js';

function Page({ path }: { path: string }) {
  const match = (pattern: string) => matchPath(pattern, path);
  let params: Record<string, string> | undefined;
  if (match('/')) return <CatalogPage />;
  if ((params = match('/products/:id'))) return <ProductPage id={params['id'] ?? ''} />;
  if (match('/cart')) return <CartPage />;
  if (match('/checkout')) return <CheckoutPage />;
  if (match('/orders')) return <MyOrdersPage />;
  if ((params = match('/orders/:id'))) return <OrderPage id={params['id'] ?? ''} />;
  if (match('/admin')) return <AdminPage />;
  if ((params = match('/admin/products/:id'))) return <AdminProductPage id={params['id'] ?? ''} />;
  if (match('/sign-in')) return <SignInPage />;
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing lives at {path}. <Link to="/">Back to the catalog</Link>
      </p>
    </>
  );
}

/** A rendering bug shows a message and a way back, never a blank page. */
class RenderErrorBoundary extends Component<{ children: ReactNode }, { error: Error | undefined }> {
  override state = { error: undefined as Error | undefined };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="notice notice-error" role="alert">
        <p className="notice-title">This page failed to display</p>
        <p>{this.state.error.message}</p>
        <a href="#/" onClick={() => this.setState({ error: undefined })}>
          Back to the catalog
        </a>
      </div>
    );
  }
}

/**
 * A query client that signs the user out when the API says the token is no
 * longer valid (expired, or signed with a rotated key): the pages then ask
 * to sign in again instead of failing one by one.
 */
function createQueryClient(): QueryClient {
  const onError = (error: unknown) => {
    if (isUnauthenticated(error)) useSession.getState().signOut('Your sign-in expired. Please sign in again; your cart is kept.');
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A refused request (bad input, not signed in) will not succeed on a retry; an unreachable API might.
        retry: (failures, error) => failures < 2 && error instanceof TypeError,
      },
    },
  });
}

export function App({ queryClient }: { queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  const path = usePath();
  return (
    <QueryClientProvider client={client}>
      <ShopClientProvider>
        <Layout>
          <RenderErrorBoundary key={path}>
            <Page path={path} />
          </RenderErrorBoundary>
        </Layout>
      </ShopClientProvider>
    </QueryClientProvider>
  );
}
