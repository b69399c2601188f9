import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed resolvers for each subgraph (federation aware, parents mapped to the
 * repository row types) and the typed client SDK (TypedDocumentNode constants
 * plus a persisted-document manifest). Run `npm run codegen`; `npm run
 * check:codegen` fails when the committed output is stale.
 */

const DateTime = { input: 'Date', output: 'Date | string' };

function subgraphResolvers(name: string, mappers: Record<string, string>): CodegenConfig['generates'] {
  return {
    [`subgraphs/${name}/src/__generated__/resolvers-types.ts`]: {
      schema: `subgraphs/${name}/src/schema.graphql`,
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useTypeImports: true,
        useIndexSignature: true,
        enumsAsTypes: true,
        contextType: '../context.js#Context',
        mappers,
        scalars: { DateTime },
        emitLegacyCommonJSImports: false,
      },
    },
  };
}

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    ...subgraphResolvers('products', {
      Product: '../product/product.table.js#ProductRow',
      ProductConnection: '../product/product.service.js#ProductPage',
    }),
    ...subgraphResolvers('orders', {
      Order: '../order/order.table.js#OrderRow',
      OrderItem: '../order/order.table.js#OrderItemRow',
      OrderConnection: '../order/order.service.js#OrderPage',
    }),
    ...subgraphResolvers('payments', {
      Payment: '../payment/payment.table.js#PaymentRow',
      Order: '../payment/payment.resolvers.js#OrderReference',
    }),
    'sdk/src/__generated__/': {
      schema: 'schema/api.graphql',
      documents: ['sdk/src/operations/*.graphql'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string' },
        emitLegacyCommonJSImports: false,
      },
    },
  },
};

export default config;
