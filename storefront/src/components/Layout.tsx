import type { ReactNode } from 'react';
import { useCart } from '../cart/cart-store.js';
import { itemCount } from '../cart/cart-math.js';
import { Link, usePath } from '../router.js';
import { useSession } from '../session/session-store.js';

function NavLink({ to, children }: { to: string; children: ReactNode }) {
  const path = usePath();
  const current = to === '/' ? path === '/' || path.startsWith('/products') : path.startsWith(to);
  return (
    <Link to={to} aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/** Header with the shop's places (a skip link first, for keyboard users), then the page. */
export function Layout({ children }: { children: ReactNode }) {
  const count = useCart((cart) => itemCount(cart.lines));
  const { userId, roles, signOut, endedBecause } = useSession();
  return (
    <>
      <a className="skip-link" href="#main" onClick={(event) => (event.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Shop
        </Link>
        <nav aria-label="Main">
          <NavLink to="/">Catalog</NavLink>
          <NavLink to="/cart">Cart ({count})</NavLink>
          {roles.includes('customer') ? <NavLink to="/orders">My orders</NavLink> : null}
          {roles.includes('admin') ? <NavLink to="/admin">Admin</NavLink> : null}
        </nav>
        <div className="account">
          {userId ? (
            <>
              <span>
                Signed in as <strong>{userId}</strong>
              </span>
              <button type="button" className="link-button" onClick={() => signOut()}>
                Sign out
              </button>
            </>
          ) : (
            <NavLink to="/sign-in">Sign in</NavLink>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {endedBecause && !userId ? (
          <p className="notice" role="status">
            {endedBecause} <Link to="/sign-in">Sign in</Link>
          </p>
        ) : null}
        {children}
      </main>
    </>
  );
}
