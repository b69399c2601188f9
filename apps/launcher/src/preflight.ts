import net from 'node:net';
import { SUBGRAPHS } from '@shop/schema';
import type { LauncherConfig } from './config.js';

/** Each port this process will listen on, with the setting that chooses it (0: any free port, never checked). */
export function plannedPorts(config: LauncherConfig): { setting: string; port: number }[] {
  const planned: { setting: string; port: number }[] = [];
  const add = (setting: string, port: number | undefined) => {
    if (port !== undefined && port !== 0) planned.push({ setting, port });
  };
  if (config.services.has('payment-provider') && !config.paymentProviderUrl) add('PAYMENT_PROVIDER_PORT', config.ports.paymentProvider);
  if (config.services.has('products')) add('PRODUCTS_PORT', config.ports.products);
  if (config.services.has('orders')) add('ORDERS_PORT', config.ports.orders);
  if (config.services.has('payments')) add('PAYMENTS_PORT', config.ports.payments);
  if (config.router) {
    add('ROUTER_PORT', config.router.port);
    add('ROUTER_METRICS_PORT', config.router.metricsPort);
  }
  return planned;
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Checks, before any database or connection is opened, that every port this
 * process will listen on is free; resolves with one line per taken port,
 * naming the setting that moves it (empty when all are free). Another
 * program can still take a port between this check and the listen; then
 * the listen fails as before.
 */
export async function portsInUse(config: LauncherConfig): Promise<string[]> {
  const taken: string[] = [];
  for (const { setting, port } of plannedPorts(config)) {
    if (!(await isFree(port, config.host))) taken.push(`port ${port} on ${config.host} is in use (another \`npm start\`?): stop that program or set ${setting} to a free port (0 picks one)`);
  }
  return taken;
}

/**
 * The data folder this process must hold alone, if any: DATA_DIR when it
 * opens the embedded databases (runs a subgraph without DATABASE_URL). A
 * router or a card provider started alone (one process per service) opens
 * none, and the simulator locks its own journal folder.
 */
export function dataDirToLock(config: LauncherConfig): string | undefined {
  const opensEmbeddedDatabase = config.database.kind === 'embedded' && SUBGRAPHS.some(({ name }) => config.services.has(name));
  return opensEmbeddedDatabase ? config.dataDir : undefined;
}
