/**
 * `npm start`: runs the supergraph in one process. Embedded by default (PGlite
 * under .data/); with DATABASE_URL, each subgraph uses its own Postgres
 * database. SERVICES=products (for example) runs only that service.
 */
import { DEVELOPMENT_JWT_SECRET, signDevelopmentToken } from '@shop/router';
import { createLogger } from '@shop/observability';
import { stopOnSignals } from '@shop/runtime';
import { launcherConfigFromEnv } from './config.js';
import { startSupergraph } from './supergraph.js';

const logger = createLogger('shop');
let config;
try {
  config = launcherConfigFromEnv(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
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
console.log(lines.join('\n') + '\n');

stopOnSignals(() => supergraph.stop(), logger);
