export { startOrdersSubgraph, type OrdersSubgraph, type OrdersSubgraphOptions } from './subgraph.js';
export { insertOrder } from './order/order.repository.js';
export type { NewOrderItemRow, NewOrderRow, OrderItemRow, OrderRow, OrdersDatabase } from './order/order.table.js';
export { migrations } from './migrations/index.js';
