import { useQuery } from '@tanstack/react-query';
import { OrderDocument } from '@shop/sdk';
import { requestAllowingGaps } from '../api/partial.js';
import { useShopClient } from '../api/shop-client.js';
import { useSession } from '../session/session-store.js';

/** First re-check after 250 ms, then twice as long each time, never more than 4 s apart. */
export function pollDelayMs(checksSoFar: number): number {
  return Math.min(250 * 2 ** checksSoFar, 4_000);
}

export const orderQueryKey = (userId: string | undefined, orderId: string) => ['viewer', userId, 'order', orderId] as const;

/**
 * An order, followed until the saga decides (CONFIRMED or CANCELLED).
 *
 * This polls `order(id)` with backoff: the API answers `placeOrder` at once
 * with the PENDING order and normally decides well under a second later, so
 * the first checks come quickly and a slow payment is not hammered. It is the
 * one place to switch to the `orderStatusChanged` subscription once the SDK
 * can subscribe, with polling kept as the fallback.
 */
export function useOrderStatus(orderId: string) {
  const client = useShopClient();
  const userId = useSession((session) => session.userId);
  return useQuery({
    queryKey: orderQueryKey(userId, orderId),
    queryFn: () => requestAllowingGaps(client, OrderDocument, { id: orderId }),
    refetchInterval: (query) => (query.state.data?.data.order?.status === 'PENDING' ? pollDelayMs(query.state.dataUpdateCount - 1) : false),
    // A pending order's status matters even in a background tab: the shopper comes back to the answer.
    refetchIntervalInBackground: true,
  });
}
