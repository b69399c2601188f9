import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger, Registry } from '@shop/observability';

// Not `import http from 'node:http'`: on Node 24 an ES module import of node:http reads every export
// of the module, its lazy `WebSocket` getter included, which loads Node's own copy of undici (about
// 13 MB of memory in every process) that nothing here uses. getBuiltinModule reads only what is asked.
const { createServer } = process.getBuiltinModule('node:http');

export interface ListeningServer {
  readonly httpServer: http.Server;
  /** Base URL, e.g. http://127.0.0.1:4001 */
  readonly origin: string;
  readonly port: number;
}

/** Listens on `port` (0 picks a free one) and reports where. */
export async function listen(app: Express | http.RequestListener, port: number, host = '127.0.0.1'): Promise<ListeningServer> {
  const httpServer = createServer(app);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port: actualPort } = httpServer.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return { httpServer, origin: `http://${shownHost}:${actualPort}`, port: actualPort };
}

/**
 * `/health` answers while the process lives; `/ready` only when `checkReady`
 * resolves; `/metrics` serves the service's registry to Prometheus, unless
 * `metrics` is left out (the router can serve it on a port of its own).
 */
export function mountProbes(
  app: Express,
  probes: {
    checkReady: () => Promise<void>;
    metrics?: Registry;
    /** Where the reason a service is not ready goes: the answer (default), or only the log (a public router). */
    hideReason?: { logger: Logger };
  },
): void {
  const { checkReady, metrics, hideReason } = probes;
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await checkReady();
      res.json({ status: 'ready' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!hideReason) return void res.status(503).json({ status: 'not ready', reason });
      // The reason names internal addresses: logged for operators, not answered to the internet.
      hideReason.logger.warn({ reason }, 'not ready');
      res.status(503).json({ status: 'not ready' });
    }
  });
  if (metrics) mountMetrics(app, metrics);
}

/** `/metrics`: the registry in Prometheus text format. */
export function mountMetrics(app: Express, metrics: Registry): void {
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
}
