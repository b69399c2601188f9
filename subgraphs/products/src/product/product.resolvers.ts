import { DateTimeScalar, parseId, requireAdmin } from '@shop/graphql';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import * as service from './product.service.js';

export const productResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    product: (_, { id }, { loaders }) => loaders.productById.load(parseId(id, 'id')),
    products: (_, args, { db }) => service.listProducts(db, args),
  },
  Mutation: {
    createProduct: (_, { input }, { viewer, writes }) => {
      requireAdmin(viewer, 'createProduct');
      return service.createProduct(writes, input);
    },
    updateProduct: (_, { id, input }, { viewer, writes }) => {
      requireAdmin(viewer, 'updateProduct');
      return service.updateProduct(writes, id, input);
    },
    restockProduct: (_, { id, quantity }, { db, viewer }) => {
      requireAdmin(viewer, 'restockProduct');
      return service.restockProduct(db, id, quantity);
    },
  },
  Product: {
    __resolveReference: ({ id }, { loaders }) => loaders.productById.load(id),
    price: (row) => ({ amount: row.price_amount, currency: row.price_currency }),
    stock: (row) => row.stock_available,
    createdAt: (row) => row.created_at,
    updatedAt: (row) => row.updated_at,
  },
  ProductConnection: {
    totalCount: (page) => page.totalCount(),
  },
};
