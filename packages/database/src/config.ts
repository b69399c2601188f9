/**
 * Where the subgraphs keep their data.
 * - `embedded`: one PGlite instance in this process, one schema per subgraph
 *   (`dataDir` undefined keeps everything in memory, for tests).
 * - `postgres`: a server; each subgraph gets its own database named
 *   `<databasePrefix>_<subgraph>`, created on first open.
 */
export type DatabaseConfig =
  | { kind: 'embedded'; dataDir: string | undefined }
  | { kind: 'postgres'; url: string; databasePrefix?: string };

/** Reads `DATABASE_URL`; without it the embedded database lives under `dataDir`. */
export function databaseConfigFromEnv(
  env: NodeJS.ProcessEnv,
  embeddedDataDir: string | undefined,
): DatabaseConfig {
  const url = env['DATABASE_URL'];
  if (url) return { kind: 'postgres', url };
  return { kind: 'embedded', dataDir: embeddedDataDir };
}

/** The Postgres database a subgraph gets: `<databasePrefix>_<subgraph>`, the prefix defaulting to DATABASE_URL's database name, else `shop`. */
export function postgresDatabaseName(config: Extract<DatabaseConfig, { kind: 'postgres' }>, subgraph: string): string {
  const prefix = config.databasePrefix ?? (new URL(config.url).pathname.slice(1) || 'shop');
  return `${prefix}_${subgraph}`;
}
