import { canRead, DateTimeScalar, parseId, requireUser } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import type { Context } from '../context.js';
import type { PaymentRow } from './payment.table.js';

/** A payment has the visibility of its order: its customer or an admin. */
function visible(payment: PaymentRow | null, { viewer }: Context): PaymentRow | null {
  return payment && canRead(viewer, payment.customer_id) ? payment : null;
}

export const paymentResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    payment: async (_, { id }, context) => {
      requireUser(context.viewer);
      return visible(await context.loaders.paymentById.load(parseId(id, 'id')), context);
    },
  },
  Payment: {
    __resolveReference: async ({ id }, context) => visible(await context.loaders.paymentById.load(id), context),
    order: (payment) => ({ id: payment.order_id }),
    amount: (payment) => ({ amount: payment.amount, currency: payment.currency }),
    failureReason: (payment) => payment.failure_reason,
    createdAt: (payment) => payment.created_at,
    updatedAt: (payment) => payment.updated_at,
  },
  Order: {
    __resolveReference: ({ id }) => ({ id }),
    payment: async (order, _, context) => visible(await context.loaders.paymentByOrderId.load(order.id), context),
  },
};
