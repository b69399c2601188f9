// The storefront's development server (Vite, with hot reload), started by
// `npm start` beside the router (apps/launcher/src/main.ts), so the shop is
// usable with no second command. Plain JavaScript: the launcher loads it as
// it is, from the sources or from its build. Development only; production
// serves the static build (`npm run build -w storefront`) from anywhere.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** @type {import('./dev-server.d.ts').startStorefrontDevServer} */
export async function startStorefrontDevServer({ host, port, apiUrl }) {
  const { createServer } = await import('vite');
  // Vite reads VITE_* variables from the environment into import.meta.env: the page calls this router.
  process.env['VITE_SHOP_API_URL'] = apiUrl;
  const server = await createServer({
    root,
    configFile: `${root}/vite.config.ts`,
    server: { host, port, strictPort: true },
    logLevel: 'warn',
    clearScreen: false,
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0] ?? `http://${host}:${port}/`;
  return { url, stop: () => server.close() };
}
