export { describeDatabase, testDatabaseConfig, testEventsConfig } from './database.js';
export { createOrderableProducts, createProducts, seedOrders, waitForCatalog, type SeededOrder } from './fixtures.js';
export { startTestSupergraph, type TestSupergraph, type TestSupergraphOptions } from './supergraph.js';
export { providerCharges, sagaInvariantViolations, setProviderFaults, settle, waitForOutcome, type ProviderCharge } from './saga.js';
export { groupBy, sagaViolations, type SagaSnapshot, type Violation } from './invariants.js';
export { scrapeMetrics, type MetricsScrape } from './metrics.js';
export { codesOf } from './errors.js';
