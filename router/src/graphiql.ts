import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';

/** Where the router serves the offline GraphiQL (development only). */
export const GRAPHIQL_PATH = '/graphiql';

/**
 * A GraphiQL page with every asset inlined: it works without internet access,
 * unlike Apollo Sandbox, which loads its scripts from a CDN.
 */
async function renderOfflineGraphiQL(endpoint: string): Promise<string> {
  // Loaded on first use: the renderer holds its inlined assets (about 30 MB of strings) for as long as it is loaded.
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
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
 * it is rendered on the first request, not at startup (a router nobody opens
 * GraphiQL on never loads it), and sent compressed (brotli or gzip, as the
 * browser accepts), each encoding compressed once.
 */
export function offlineGraphiQLHandler(endpoint: string): (req: Request, res: Response, next: NextFunction) => void {
  let page: Promise<Buffer> | undefined;
  const encoded: { br?: Buffer; gzip?: Buffer } = {};
  const encode = {
    br: (html: Buffer) => (encoded.br ??= brotliCompressSync(html, { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_SIZE_HINT]: html.length } })),
    gzip: (html: Buffer) => (encoded.gzip ??= gzipSync(html, { level: 6 })),
  };
  return (req, res, next) => {
    page ??= renderOfflineGraphiQL(endpoint).then((html) => Buffer.from(html));
    page.then(
      (html) => {
        const encoding = req.acceptsEncodings('br', 'gzip');
        res.type('html').vary('Accept-Encoding');
        if (encoding === 'br' || encoding === 'gzip') res.set('Content-Encoding', encoding).send(encode[encoding](html));
        else res.send(html);
      },
      (error: unknown) => {
        page = undefined; // the next request tries again
        next(error);
      },
    );
  };
}
