import { canRead, DateTimeScalar, parseId, requireUser } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import type { Context } from '../context.js';
import * as service from './order.service.js';
import type { OrderRow } from './order.table.js';

/** Loads an order the viewer may read; null when missing or someone else's, so the answer gives no hint that it exists. */
async function loadVisibleOrder(id: string, { loaders, viewer }: Context): Promise<OrderRow | null> {
  const order = await loaders.orderById.load(id);
  return order && canRead(viewer, order.customer_id) ? order : null;
}

export const orderResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    order: (_, { id }, context) => {
      requireUser(context.viewer);
      return loadVisibleOrder(parseId(id, 'id'), context);
    },
    orders: (_, args, { db, viewer }) => service.listOrders(db, viewer, args),
  },
  Mutation: {
    placeOrder: (_, { input }, { viewer, writes }) => service.placeOrder(writes, viewer, input),
    cancelOrder: (_, { id }, { viewer, writes }) => service.cancelOrder(writes, viewer, id),
  },
  Order: {
    // Authorization holds on entity lookups too: the router reaches orders
    // through `_entities` (Payment.order) with the caller's identity.
    __resolveReference: ({ id }, context) => loadVisibleOrder(id, context),
    customerId: (order) => order.customer_id,
    cancellationReason: (order) => order.cancellation_reason,
    items: (order, _, { loaders }) => loaders.itemsByOrderId.load(order.id),
    total: (order) => ({ amount: order.total_amount, currency: order.currency }),
    createdAt: (order) => order.created_at,
    updatedAt: (order) => order.updated_at,
  },
  OrderItem: {
    product: (item) => ({ __typename: 'Product', id: item.product_id }),
    unitPrice: (item) => ({ amount: item.unit_price_amount, currency: item.currency }),
    lineTotal: (item) => ({ amount: item.unit_price_amount * item.quantity, currency: item.currency }),
  },
  OrderConnection: {
    totalCount: (page) => page.totalCount(),
  },
};
