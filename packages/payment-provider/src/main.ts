/**
 * Runs the payment provider simulator on its own:
 *   PAYMENT_PROVIDER_PORT (default 4010), HOST (default 127.0.0.1), LOG_LEVEL.
 * State is in memory and lost on exit.
 */
import { createLogger, stopOnSignals } from '@shop/server';
import { startPaymentProvider } from './simulator.js';

const logger = createLogger('payment-provider');
const rawPort = process.env['PAYMENT_PROVIDER_PORT'] ?? '4010';
const port = Number(rawPort);
if (!/^\d+$/.test(rawPort) || port > 65_535) {
  console.error(`PAYMENT_PROVIDER_PORT must be a port number (0-65535), got "${rawPort}"`);
  process.exit(1);
}
const host = process.env['HOST'] ?? '127.0.0.1';

const provider = await startPaymentProvider({ port, host, logger });
logger.info({ url: provider.url }, `payment provider simulator listening on ${provider.url}`);

stopOnSignals(() => provider.stop(), logger);
