import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';

const OFFLINE_NOTICE = /<p>Apollo Sandbox cannot be loaded; it appears that you might be offline\.<\/p>/;

/**
 * Apollo Sandbox at `/graphql` for browsers, as Apollo draws it, except that
 * the text it shows when its scripts cannot be fetched (offline, or a proxy
 * blocks Apollo's CDN) points to the router's own offline GraphiQL.
 */
export function sandboxLandingPage(graphiqlPath: string): ApolloServerPlugin {
  const sandbox = ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false });
  return {
    async serverWillStart(service) {
      const listener = await sandbox.serverWillStart?.(service);
      if (!listener?.renderLandingPage) return listener;
      const render = listener.renderLandingPage.bind(listener);
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render();
          const html = async () => {
            const original = typeof page.html === 'string' ? page.html : await page.html();
            return original.replace(
              OFFLINE_NOTICE,
              `<p>Apollo Sandbox cannot be loaded: it needs internet access to Apollo's CDN.</p>` +
                `<p>This router serves an explorer that works offline: <a href="${graphiqlPath}">${graphiqlPath}</a>.</p>`,
            );
          };
          return { html };
        },
      };
    },
  };
}
