export { databaseConfigFromEnv, postgresDatabaseName, type DatabaseConfig } from './config.js';
export { isDatabaseUnavailable, isUniqueViolation } from './errors.js';
export { createDatabaseHost, type DatabaseHost, type DatabaseHostOptions, type SubgraphDatabase } from './host.js';
export { StatementCounter } from './statement-counter.js';
