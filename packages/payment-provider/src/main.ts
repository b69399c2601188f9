/**
 * Runs the payment provider simulator on its own:
 *   PAYMENT_PROVIDER_PORT (default 4010; 0 picks a free port), HOST (default 127.0.0.1), LOG_LEVEL,
 *   PAYMENT_PROVIDER_DATA_DIR (default <DATA_DIR>/payment-provider, DATA_DIR defaulting to .data):
 *   where its ledger is journaled, so charges and idempotency keys outlive a restart.
 * Once listening it logs `url` (a JSON line on stdout): with port 0 that is how a caller finds it.
 */
import { join } from 'node:path';
import { createLogger } from '@shop/observability';
import { stopOnSignals } from '@shop/runtime';
import { startPaymentProvider } from './simulator.js';

const USAGE = `The card provider simulator on its own (npm start runs it too). Settings are environment variables:

  PAYMENT_PROVIDER_PORT=4010   0 picks a free port (the url is logged once listening)
  HOST=127.0.0.1
  PAYMENT_PROVIDER_DATA_DIR    where the ledger is journaled (default <DATA_DIR>/payment-provider, DATA_DIR default .data)
  LOG_LEVEL=info`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

const logger = createLogger('payment-provider');
const rawPort = process.env['PAYMENT_PROVIDER_PORT'] ?? '4010';
const port = Number(rawPort);
if (!/^\d+$/.test(rawPort) || port > 65_535) {
  console.error(`PAYMENT_PROVIDER_PORT must be a port number (0-65535), got "${rawPort}"`);
  process.exit(1);
}
const host = process.env['HOST'] ?? '127.0.0.1';
// The launcher reads the same two variables the same way (apps/launcher/src/config.ts).
const configuredDataDir = process.env['PAYMENT_PROVIDER_DATA_DIR'];
if (configuredDataDir !== undefined && configuredDataDir.trim() === '') {
  console.error('PAYMENT_PROVIDER_DATA_DIR must name a folder when set, got an empty value');
  process.exit(1);
}
const dataDir = configuredDataDir ?? join(process.env['DATA_DIR'] ?? '.data', 'payment-provider');

const provider = await startPaymentProvider({ port, host, logger, dataDir }).catch((error: unknown) => {
  // A taken port, a folder in use by another simulator, a damaged journal: one readable line, no stack.
  console.error(`payment provider simulator could not start: ${error instanceof Error ? error.message : String(error)}`);
  return process.exit(1);
});
const { url } = provider;
logger.info({ url, dataDir }, `payment provider simulator listening on ${url}`);

stopOnSignals(() => provider.stop(), logger);
