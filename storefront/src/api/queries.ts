import { infiniteQueryOptions, queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import {
  CancelOrderDocument,
  CreateProductDocument,
  OrdersDocument,
  PlaceOrderDocument,
  ProductDocument,
  ProductsDocument,
  RestockProductDocument,
  UpdateProductDocument,
  type CreateProductInput,
  type PlaceOrderInput,
  type ShopClient,
  type UpdateProductInput,
} from '@shop/sdk';
import { useSession } from '../session/session-store.js';
import { requestAllowingGaps } from './partial.js';
import { useShopClient } from './shop-client.js';

/**
 * Every query of the storefront: the SDK's generated documents through
 * TanStack Query. Keys of what depends on who is signed in start with
 * ['viewer', userId], so one user never sees another's cached orders.
 */

export const CATALOG_PAGE_SIZE = 8;
export const ORDERS_PAGE_SIZE = 10;

export const catalogQuery = (client: ShopClient, search: string) =>
  infiniteQueryOptions({
    queryKey: ['products', { search }],
    queryFn: ({ pageParam }) => client.request(ProductsDocument, { first: CATALOG_PAGE_SIZE, after: pageParam, search: search || null }),
    initialPageParam: null as string | null,
    getNextPageParam: ({ products: { pageInfo } }) => (pageInfo.hasNextPage ? pageInfo.endCursor : undefined),
  });

export const productQuery = (client: ShopClient, id: string) =>
  queryOptions({ queryKey: ['product', id], queryFn: () => client.request(ProductDocument, { id }) });

export const myOrdersQuery = (client: ShopClient, userId: string | undefined) =>
  infiniteQueryOptions({
    queryKey: ['viewer', userId, 'orders'],
    // Orders read across all three subgraphs: an order list stays useful when payments cannot answer.
    queryFn: ({ pageParam }) => requestAllowingGaps(client, OrdersDocument, { first: ORDERS_PAGE_SIZE, after: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: ({ data: { orders } }) => (orders.pageInfo.hasNextPage ? orders.pageInfo.endCursor : undefined),
  });

export function usePlaceOrder() {
  const client = useShopClient();
  return useMutation({ mutationFn: (input: PlaceOrderInput) => client.request(PlaceOrderDocument, { input }).then(({ placeOrder }) => placeOrder) });
}

export function useCancelOrder() {
  const client = useShopClient();
  const queryClient = useQueryClient();
  const userId = useSession((session) => session.userId);
  return useMutation({
    mutationFn: (id: string) => client.request(CancelOrderDocument, { id }).then(({ cancelOrder }) => cancelOrder),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['viewer', userId] }),
  });
}

/** After an admin change, every catalog page and product may show something else. */
function useInvalidateCatalog() {
  const queryClient = useQueryClient();
  return () => Promise.all([queryClient.invalidateQueries({ queryKey: ['products'] }), queryClient.invalidateQueries({ queryKey: ['product'] })]);
}

/** A catalog change by an admin; the catalog's cached pages are refetched once it is made. */
function useCatalogMutation<TVariables, TResult>(run: (client: ShopClient, variables: TVariables) => Promise<TResult>) {
  const client = useShopClient();
  const invalidate = useInvalidateCatalog();
  return useMutation({ mutationFn: (variables: TVariables) => run(client, variables), onSuccess: invalidate });
}

export function useCreateProduct() {
  return useCatalogMutation((client, input: CreateProductInput) => client.request(CreateProductDocument, { input }).then(({ createProduct }) => createProduct));
}

export function useUpdateProduct() {
  return useCatalogMutation((client, { id, input }: { id: string; input: UpdateProductInput }) =>
    client.request(UpdateProductDocument, { id, input }).then(({ updateProduct }) => updateProduct),
  );
}

export function useRestockProduct() {
  return useCatalogMutation((client, { id, quantity }: { id: string; quantity: number }) =>
    client.request(RestockProductDocument, { id, quantity }).then(({ restockProduct }) => restockProduct),
  );
}
