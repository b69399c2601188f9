import type { Logger } from '@shop/observability';

/**
 * Stops the process cleanly on SIGINT or SIGTERM: runs `stop` once, exits 0
 * when it finishes, 1 when it fails or takes longer than `timeoutMs` (a stop
 * that hangs must not leave a process holding its ports).
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger, timeoutMs = 30_000): void {
  let stopping = false;
  async function shutdown(signal: NodeJS.Signals): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining requests, then closing connections');
    setTimeout(() => {
      logger.error({ afterMs: timeoutMs }, 'stop did not finish in time; exiting anyway');
      process.exit(1);
    }, timeoutMs).unref();
    try {
      await stop();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean stop');
      process.exit(1);
    }
  }
  process.on('SIGINT', (signal) => void shutdown(signal));
  process.on('SIGTERM', (signal) => void shutdown(signal));
}
