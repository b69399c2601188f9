import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { OrderDocument, OrderStatusChangedDocument, type OrderQuery } from '@shop/sdk';
import { requestAllowingGaps, type PartialAnswer } from '../api/partial.js';
import { useShopClient } from '../api/shop-client.js';
import { useSession } from '../session/session-store.js';

/** First re-check after 250 ms, then twice as long each time, never more than 4 s apart. */
export function pollDelayMs(checksSoFar: number): number {
  return Math.min(250 * 2 ** checksSoFar, 4_000);
}

/** While the live status is followed, a check now and then all the same, in case the connection dies unnoticed. */
const CHECK_WHILE_LIVE_MS = 15_000;

export const orderQueryKey = (userId: string | undefined, orderId: string) => ['viewer', userId, 'order', orderId] as const;

/**
 * An order, followed until the saga decides (CONFIRMED or CANCELLED).
 *
 * Live first: the `orderStatusChanged` subscription (a WebSocket) sends the
 * order now and again when its status changes, and each update goes into
 * the query's cache. Should the subscription fail (a proxy without
 * WebSockets, a router too old), `order(id)` is polled with backoff instead:
 * the first checks come quickly, a slow payment is not hammered.
 */
export function useOrderStatus(orderId: string) {
  const client = useShopClient();
  const queryClient = useQueryClient();
  const userId = useSession((session) => session.userId);
  const queryKey = orderQueryKey(userId, orderId);
  const [live, setLive] = useState<'connecting' | 'live' | 'failed'>('connecting');
  const query = useQuery({
    queryKey,
    queryFn: () => requestAllowingGaps(client, OrderDocument, { id: orderId }),
    refetchInterval: (current) => {
      if (current.state.data?.data.order?.status !== 'PENDING') return false;
      return live === 'live' ? CHECK_WHILE_LIVE_MS : pollDelayMs(current.state.dataUpdateCount - 1);
    },
    // A pending order's status matters even in a background tab: the shopper comes back to the answer.
    refetchIntervalInBackground: true,
  });
  const pending = query.data?.data.order?.status === 'PENDING';

  useEffect(() => {
    if (!pending) return;
    const updates = client.subscribe(OrderStatusChangedDocument, { id: orderId });
    let stopped = false;
    void (async () => {
      try {
        for await (const { orderStatusChanged } of updates) {
          setLive('live');
          queryClient.setQueryData<PartialAnswer<OrderQuery>>(queryKey, { data: { order: orderStatusChanged }, missing: [] });
        }
      } catch {
        if (!stopped) setLive('failed'); // polling with backoff takes over
      }
    })();
    return () => {
      stopped = true;
      void updates.return?.();
    };
  }, [client, orderId, pending, queryClient, userId]); // queryKey is made of userId and orderId

  return query;
}
