/**
 * `npm start`: runs the supergraph in one process. Embedded by default (PGlite
 * under .data/); with DATABASE_URL, each subgraph uses its own Postgres
 * database. SERVICES=products (for example) runs only that service.
 */
import { DEVELOPMENT_JWT_SECRET } from '@shop/router/config';
import { postgresDatabaseName, type DatabaseConfig } from '@shop/database/config';
import { STREAMS } from '@shop/events';
import { createLogger } from '@shop/observability';
import { SUBGRAPHS } from '@shop/schema';
import { mkdir } from 'node:fs/promises';
import { FolderInUseError, lockFolder, stopOnSignals } from '@shop/runtime';
import { launcherConfigFromEnv, type LauncherConfig } from './config.js';
import { dataDirToLock, portsInUse } from './preflight.js';
import { startSupergraph } from './supergraph.js';

const HELP = `npm start: runs the shop's supergraph (router, products, orders, payments, card provider simulator).

Embedded by default: PGlite databases under DATA_DIR (.data) and in-process events; nothing else to install.
Settings are environment variables (all of them: README, "Configuration"). The ones asked for most:

  ROUTER_PORT=4000  PRODUCTS_PORT=4001  ORDERS_PORT=4002  PAYMENTS_PORT=4003  PAYMENT_PROVIDER_PORT=4010
                         ports (0 picks a free one)
  DATA_DIR=.data         where the embedded databases and the simulator's ledger live (one running instance per folder)
  DATABASE_URL=postgres://user@host:5432/shop
                         Postgres instead of PGlite: one database per subgraph (shop_products, ...)
  NATS_URL=nats://host:4222
                         NATS JetStream instead of in-process events
  SERVICES=router,products
                         run only these services (payment-provider, products, orders, payments, router)
  NODE_ENV=production    refuses development defaults: JWT_SECRET (32+ characters) or JWT_JWKS_URL and
                         <SUBGRAPH>_SUBGRAPH_SECRET are then required
  LOG_LEVEL=info         trace, debug, info, warn, error, silent

Examples:
  npm start
  ROUTER_PORT=5000 DATA_DIR=.data-2 npm start      a second instance beside the first
  npm run token -- --help                          development tokens
`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}

const logger = createLogger('shop');
let config;
try {
  config = launcherConfigFromEnv(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
// Before anything is opened: a taken port is one line naming its setting, not a stack trace after the databases started.
const taken = await portsInUse(config);
if (taken.length > 0) {
  console.error(`Cannot start: ${taken.join('; ')}.`);
  process.exit(1);
}

// One instance per data folder: a second one on the same embedded databases would split them.
let releaseDataDir: (() => Promise<void>) | undefined;
const dataDir = dataDirToLock(config);
if (dataDir) {
  await mkdir(dataDir, { recursive: true });
  try {
    releaseDataDir = await lockFolder(dataDir, 'shop.pid', (holder) =>
      `${dataDir} is in use by another \`npm start\` (process ${holder}): stop it, or give this one its own folder, e.g. DATA_DIR=.data-2 (and other ports)`,
    );
  } catch (error) {
    if (!(error instanceof FolderInUseError)) throw error;
    console.error(`Cannot start: ${error.message}.`);
    process.exit(1);
  }
}

const supergraph = await startSupergraph(config, logger);
const where = config.database.kind === 'embedded' ? `embedded PGlite in ${config.database.dataDir}` : 'Postgres (DATABASE_URL)';
const events = config.events.kind === 'jetstream' ? 'NATS JetStream (NATS_URL)' : 'in-process events';
const lines = [``, `Shop supergraph is up (${where}, ${events}).`];
for (const service of [supergraph.products, supergraph.orders, supergraph.payments]) {
  if (service) lines.push(`  ${service.name.padEnd(9)} ${service.url}`);
}
if (supergraph.paymentProvider) lines.push(`  card provider simulator ${supergraph.paymentProvider.url}`);
if (supergraph.router) {
  const origin = new URL(supergraph.router.url).origin;
  lines.push(`  router    ${supergraph.router.url}`);
  if (!config.production) {
    lines.push('', `Apollo Sandbox:   ${supergraph.router.url}  (needs internet)`, `Offline GraphiQL: ${origin}/graphiql`);
  }
  if (!config.production && config.router?.jwt.kind === 'secret') {
    const secret = config.router.jwt.secret;
    // The router runs in this process, so its code is loaded already.
    const { signDevelopmentToken } = await import('@shop/router');
    const admin = await signDevelopmentToken(secret, { sub: 'admin', roles: ['admin'] });
    const customer = await signDevelopmentToken(secret, { sub: 'alice', roles: ['customer'] });
    lines.push(
      '',
      'Development tokens (12 h; send as "Authorization: Bearer <token>"):',
      `  admin:          ${admin}`,
      `  customer alice: ${customer}`,
      ...(secret === DEVELOPMENT_JWT_SECRET ? ['  (signed with the built-in development secret; set JWT_SECRET to use your own)'] : []),
      `More: npm run token -- --sub bob --role customer`,
    );
  }
}
const storefront = supergraph.router && config.storefrontPort !== undefined ? await startStorefront(config.host, config.storefrontPort, supergraph.router.url) : undefined;
if (storefront) lines.push('', `Storefront:       ${storefront.url}  (development server; sign in with one click)`);
lines.push(...whereTheDataLives(config));
console.log(lines.join('\n') + '\n');

stopOnSignals(async () => {
  await storefront?.stop();
  await supergraph.stop();
  await releaseDataDir?.();
}, logger);

/**
 * The storefront's development server (Vite), loaded only here: a production
 * process never loads it. A port already taken costs the storefront, not the
 * supergraph: the banner says how to move it.
 */
async function startStorefront(host: string, port: number, apiUrl: string) {
  try {
    const { startStorefrontDevServer } = await import('@shop/storefront/dev-server');
    return await startStorefrontDevServer({ host, port, apiUrl });
  } catch (error) {
    logger.warn({ err: error }, `the storefront did not start on port ${port} (STOREFRONT_PORT=5174 moves it, STOREFRONT_PORT=off turns it off)`);
    return undefined;
  }
}

/** Services mode: what this process created outside the repository, and how to remove it. */
function whereTheDataLives(config: LauncherConfig): string[] {
  const lines: string[] = [];
  const subgraphs = SUBGRAPHS.map(({ name }) => name).filter((name) => config.services.has(name));
  if (config.database.kind === 'postgres' && subgraphs.length > 0) {
    const url = new URL(config.database.url);
    const names = subgraphs.map((name) => postgresDatabaseName(config.database as Extract<DatabaseConfig, { kind: 'postgres' }>, name));
    url.pathname = '/postgres';
    url.password = '';
    lines.push(
      '',
      `Databases on ${url.host}: ${names.join(', ')} (created if missing; kept across restarts).`,
      `  To remove them: psql ${url.toString()} ${names.map((name) => `-c 'drop database ${name} with (force)'`).join(' ')}`,
    );
  }
  const events = config.events;
  if (events.kind === 'jetstream') {
    const prefix = events.namespace ? `${events.namespace}_` : '';
    const streams = Object.keys(STREAMS).map((stream) => `${prefix}${stream}`);
    lines.push(
      '',
      `JetStream streams on ${events.url}: ${streams.join(', ')} (with their durable consumers).`,
      `  To remove them (nats CLI): ${streams.map((stream) => `nats --server ${events.url} stream rm -f ${stream}`).join('; ')}`,
    );
  }
  return lines;
}
