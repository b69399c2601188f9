import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Per subgraph, two files:
 * - `__generated__/types.ts`: the API's types (inputs, arguments, objects).
 *   Its enums are the domain's own (`enumValues`): it imports and re-exports
 *   them, and the domain never imports generated code. Services take their
 *   input types from here.
 * - `__generated__/resolvers-types.ts`: the resolver signatures over
 *   types.ts, with parents mapped to the domain's row and page types
 *   (`mappers`) and the subgraph's Context.
 * Two files rather than one: a service imports the API types while the
 * resolver types import the service's page type and the Context (which holds
 * the service's dependencies), and one file would close that loop. Also, the
 * re-export of an enum is a value export (`export { OrderStatus }`), which
 * `verbatimModuleSyntax` refuses for a type-only import, so types.ts imports
 * values, while resolvers-types.ts keeps type-only imports.
 *
 * Then the typed client SDK (TypedDocumentNode constants plus a
 * persisted-document manifest). Run `npm run codegen`; `npm run
 * check:codegen` fails when the committed output is stale.
 */

const DateTime = { input: 'Date', output: 'Date | string' };

interface SubgraphTypes {
  /** GraphQL enum → the domain's object of its values and type of the same name (`../<feature>/<file>.js#Name`). */
  enums?: Record<string, string>;
  /** GraphQL object → the domain type its resolvers receive as parent. */
  mappers: Record<string, string>;
  /**
   * The subgraph's entities (types with a resolvable `@key`). typescript-resolvers
   * 6.1 names them without the `Types.` namespace in `FederationTypes`, so
   * resolvers-types.ts imports them by name as well.
   */
  entities: string[];
}

function subgraphTypes(name: string, { enums = {}, mappers, entities }: SubgraphTypes): CodegenConfig['generates'] {
  const schema = `subgraphs/${name}/src/schema.graphql`;
  const common = { federation: true, enumsAsTypes: true, scalars: { DateTime }, emitLegacyCommonJSImports: false };
  const imports = [`import type * as Types from './types.js';`, `import type { ${entities.join(', ')} } from './types.js';`];
  return {
    [`subgraphs/${name}/src/__generated__/types.ts`]: {
      schema,
      plugins: ['typescript'],
      config: { ...common, useTypeImports: false, enumValues: enums },
    },
    [`subgraphs/${name}/src/__generated__/resolvers-types.ts`]: {
      schema,
      plugins: [{ add: { content: imports.join('\n') } }, 'typescript-resolvers'],
      config: { ...common, useTypeImports: true, namespacedImportName: 'Types', useIndexSignature: true, contextType: '../context.js#Context', mappers },
    },
  };
}

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    ...subgraphTypes('products', {
      mappers: {
        Product: '../product/product.table.js#ProductRow',
        ProductConnection: '../product/product.service.js#ProductPage',
      },
      entities: ['Product'],
    }),
    ...subgraphTypes('orders', {
      enums: {
        OrderStatus: '../order/order.model.js#OrderStatus',
        CancellationReason: '../order/order.model.js#CancellationReason',
      },
      mappers: {
        Order: '../order/order.table.js#OrderRow',
        OrderItem: '../order/order.table.js#OrderItemRow',
        OrderConnection: '../order/order.service.js#OrderPage',
      },
      entities: ['Order'],
    }),
    ...subgraphTypes('payments', {
      enums: { PaymentStatus: '../payment/payment.model.js#PaymentStatus' },
      mappers: {
        Payment: '../payment/payment.table.js#PaymentRow',
        Order: '../payment/payment.model.js#OrderReference',
      },
      entities: ['Payment', 'Order'],
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
