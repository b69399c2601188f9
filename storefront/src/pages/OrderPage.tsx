import { describeProblem } from '../api/errors.js';
import { useOrderStatus } from '../checkout/use-order-status.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { OrderStatus } from '../components/OrderStatus.js';
import { Price } from '../components/Price.js';
import { Link } from '../router.js';

/** One order: its live status and its lines as the API priced them. */
export function OrderPage({ id }: { id: string }) {
  const status = useOrderStatus(id);
  if (status.isPending) return <p role="status">Loading your order…</p>;
  if (status.isError) return <ErrorNotice problem={describeProblem(status.error)} onRetry={() => void status.refetch()} />;
  const order = status.data.data.order;
  if (!order) {
    return (
      <>
        <h1>Order not found</h1>
        <p>
          There is no order {id} in your account. <Link to="/orders">Your orders</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>{order.status === 'CONFIRMED' ? 'Order confirmed' : `Order ${order.id}`}</h1>
      <OrderStatus order={order} paymentUnavailable={status.data.missing.some((path) => path.includes('payment'))} />
      <table className="cart-table">
        <caption>Items</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col" className="numeric">
              Price
            </th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item) => (
            <tr key={item.product.id}>
              <th scope="row">{item.product.name}</th>
              <td>
                {item.quantity} × <Price money={item.unitPrice} />
              </td>
              <td className="numeric">
                <Price money={item.lineTotal} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link to="/orders">All your orders</Link> · <Link to="/">Continue shopping</Link>
      </p>
    </>
  );
}
