export { describeDatabase, testDatabaseConfig } from './database.js';
export { createProducts, seedOrders, type SeededOrder } from './fixtures.js';
export { startTestSupergraph, type TestSupergraph, type TestSupergraphOptions } from './supergraph.js';
