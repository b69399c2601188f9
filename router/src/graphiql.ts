import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

/** Where the router serves the offline GraphiQL (development only). */
export const GRAPHIQL_PATH = '/graphiql';

/**
 * A GraphiQL page with every asset inlined: it works without internet access,
 * unlike Apollo Sandbox, which loads its scripts from a CDN.
 */
export function renderOfflineGraphiQL(endpoint: string): string {
  return renderGraphiQL({
    endpoint,
    title: 'Shop supergraph — GraphiQL',
    // Subscriptions over SSE on the same endpoint, with the headers of the Headers tab (the token).
    subscriptionsProtocol: 'SSE',
    defaultQuery: [
      '# Offline GraphiQL for the shop supergraph.',
      '# Add {"Authorization": "Bearer <token>"} under Headers for orders and payments.',
      '# Follow an order live: subscription { orderStatusChanged(id: "<id>") { status payment { status } } }',
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

/**
 * Serves the offline GraphiQL page. It inlines every asset (about 9 MB), so
 * it is sent compressed (brotli or gzip, as the browser accepts), compressed
 * once on the first request rather than per request or at startup.
 */
export function offlineGraphiQLHandler(endpoint: string): (req: Request, res: Response) => void {
  const html = Buffer.from(renderOfflineGraphiQL(endpoint));
  const encoded: { br?: Buffer; gzip?: Buffer } = {};
  const encode = {
    br: () => (encoded.br ??= brotliCompressSync(html, { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_SIZE_HINT]: html.length } })),
    gzip: () => (encoded.gzip ??= gzipSync(html, { level: 6 })),
  };
  return (req, res) => {
    const encoding = req.acceptsEncodings('br', 'gzip');
    res.type('html').vary('Accept-Encoding');
    if (encoding === 'br' || encoding === 'gzip') res.set('Content-Encoding', encoding).send(encode[encoding]());
    else res.send(html);
  };
}
