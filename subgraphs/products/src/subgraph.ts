import { startSubgraph, type RunningSubgraph, type SubgraphOptions, type SubgraphWiring } from '@shop/subgraph-kit';
import { createContext } from './context.js';
import { migrations } from './migrations/index.js';
import { productResolvers } from './product/product.resolvers.js';
import type { ProductsDatabase } from './product/product.table.js';
import { seedDemoCatalog } from './seed/demo-catalog.js';
import { stockEventHandlers } from './stock/stock.events.js';

export interface ProductsSubgraphOptions extends SubgraphOptions {
  /** Fill an empty catalog with demo products on start. */
  seedDemoData: boolean;
}

export type ProductsSubgraph = RunningSubgraph<ProductsDatabase>;

/** The products subgraph: the catalog, and the stock side of the checkout saga. */
export function startProductsSubgraph({ seedDemoData, ...options }: ProductsSubgraphOptions): Promise<ProductsSubgraph> {
  return startSubgraph(
    {
      name: 'products',
      schema: new URL('./schema.graphql', import.meta.url),
      resolvers: productResolvers,
      migrations,
      wire: ({ db, outbox, logger, runAlone }: SubgraphWiring<ProductsDatabase>) => {
        const writes = { db, outbox };
        return {
          consumers: [{ durable: 'products-from-orders', stream: 'ORDERS', filterSubject: 'orders.>', handlers: stockEventHandlers(db, outbox) }],
          createContext: (viewer) => createContext(writes, viewer),
          async start() {
            if (seedDemoData) {
              // Replicas started together would each find the catalog empty and seed it: one at a time, the next finds it filled.
              const seeded = await runAlone('seed demo catalog', () => seedDemoCatalog(writes));
              if (seeded.ran && seeded.value > 0) logger.info({ seeded: seeded.value }, 'seeded the demo catalog');
            }
            return { exposed: {} };
          },
        };
      },
    },
    options,
  );
}
