import { useInfiniteQuery } from '@tanstack/react-query';
import { describeProblem } from '../api/errors.js';
import { myOrdersQuery, useCancelOrder } from '../api/queries.js';
import { useShopClient } from '../api/shop-client.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { OrderStatusBadge } from '../components/OrderStatus.js';
import { Price } from '../components/Price.js';
import { Link } from '../router.js';
import { useSession } from '../session/session-store.js';

/** The customer's orders, newest first, paginated; a pending one can be cancelled. */
export function MyOrdersPage() {
  const client = useShopClient();
  const userId = useSession((session) => session.userId);
  const orders = useInfiniteQuery({ ...myOrdersQuery(client, userId), enabled: userId !== undefined });
  const cancel = useCancelOrder();
  if (!userId) {
    return (
      <>
        <h1>My orders</h1>
        <p>
          <Link to="/sign-in">Sign in</Link> to see your orders.
        </p>
      </>
    );
  }
  const pages = orders.data?.pages ?? [];
  const rows = pages.flatMap((page) => page.data.orders.edges.map(({ node }) => node));
  const paymentsMissing = pages.some((page) => page.missing.some((path) => path.includes('payment')));
  return (
    <>
      <h1>My orders</h1>
      {orders.isPending ? <p role="status">Loading your orders…</p> : null}
      {orders.isError ? <ErrorNotice problem={describeProblem(orders.error)} onRetry={() => void orders.refetch()} /> : null}
      {paymentsMissing ? (
        <p className="notice" role="status">
          Payment details are unavailable right now; the orders themselves are up to date.
        </p>
      ) : null}
      {cancel.isError ? <ErrorNotice problem={describeProblem(cancel.error)} /> : null}
      {orders.isSuccess && rows.length === 0 ? (
        <p>
          No orders yet. <Link to="/">Browse the catalog</Link>
        </p>
      ) : null}
      {rows.length > 0 ? (
        <table className="orders-table">
          <caption className="visually-hidden">Your orders</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Status</th>
              <th scope="col" className="numeric">
                Total
              </th>
              <th scope="col">Payment</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((order) => (
              <tr key={order.id} data-order-id={order.id}>
                <th scope="row">
                  <Link to={`/orders/${order.id}`}>{order.id}</Link>
                </th>
                <td>{new Date(order.createdAt).toLocaleString()}</td>
                <td>
                  <OrderStatusBadge status={order.status} />
                </td>
                <td className="numeric">
                  <Price money={order.total} />
                </td>
                <td>{order.payment ? order.payment.status.toLowerCase() : paymentsMissing ? 'unavailable' : '—'}</td>
                <td>
                  {order.status === 'PENDING' ? (
                    <button type="button" onClick={() => cancel.mutate(order.id)} disabled={cancel.isPending} aria-label={`Cancel order ${order.id}`}>
                      Cancel
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {orders.hasNextPage ? (
        <button type="button" className="load-more" onClick={() => void orders.fetchNextPage()} disabled={orders.isFetchingNextPage}>
          {orders.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </>
  );
}
