// The storefront's development server (Vite, with hot reload), started by
// `npm start` beside the router (apps/launcher/src/main.ts), so the shop is
// usable with no second command. Plain JavaScript: the launcher loads it as
// it is, from the sources or from its build. Development only; production
// serves the static build (`npm run build -w storefront`) from anywhere.
import { createServer as createHttpServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** @type {import('./dev-server.d.ts').startStorefrontDevServer} */
export async function startStorefrontDevServer({ host, port, apiUrl }) {
  const { createServer } = await import('vite');
  // Vite reads VITE_* variables from the environment into import.meta.env: the page calls this router.
  process.env['VITE_SHOP_API_URL'] = apiUrl;
  const httpServer = createHttpServer();
  // Middleware mode, on a server of ours: a Vite server that listens itself also takes SIGTERM (and the end of
  // stdin) to exit the whole process, supergraph included, before the launcher has drained it.
  const vite = await createServer({
    root,
    configFile: `${root}/vite.config.ts`,
    appType: 'spa',
    server: { middlewareMode: true, hmr: { server: httpServer } },
    logLevel: 'warn',
    clearScreen: false,
  });
  httpServer.on('request', vite.middlewares);
  try {
    await new Promise((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(port, host, () => resolve(undefined));
    });
  } catch (error) {
    await vite.close();
    throw error;
  }
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    async stop() {
      await vite.close();
      await new Promise((resolve) => {
        httpServer.close(resolve);
        httpServer.closeAllConnections();
      });
    },
  };
}
