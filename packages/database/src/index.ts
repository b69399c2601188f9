export { databaseConfigFromEnv, type DatabaseConfig } from './config.js';
export { createDatabaseHost, type DatabaseHost, type DatabaseHostOptions, type SubgraphDatabase } from './host.js';
export { StatementCounter } from './statement-counter.js';
