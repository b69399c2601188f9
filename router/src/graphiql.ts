import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

/**
 * A GraphiQL page with every asset inlined: it works without internet access,
 * unlike Apollo Sandbox, which loads its scripts from a CDN.
 */
export function renderOfflineGraphiQL(endpoint: string): string {
  return renderGraphiQL({
    endpoint,
    title: 'Shop supergraph — GraphiQL',
    defaultQuery: [
      '# Offline GraphiQL for the shop supergraph.',
      '# Add "Authorization: Bearer <token>" under Headers for orders and payments.',
      'query Catalog {',
      '  products(first: 5) {',
      '    totalCount',
      '    edges { node { id sku name price { amount currency } stock } }',
      '  }',
      '}',
      '',
    ].join('\n'),
  });
}
