export { startProductsSubgraph, type ProductsSubgraph, type ProductsSubgraphOptions } from './subgraph.js';
export type { ProductRow, ProductsDatabase } from './product/product.table.js';
export { migrations } from './migrations/index.js';
export { stockEventHandlers } from './stock/stock.events.js';
