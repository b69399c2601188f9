import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (`src/**/__tests__/*.test.ts`); end-to-end
// tests drive the whole supergraph through the router (`*.e2e.ts`). Both run
// against PGlite, or against real Postgres when DATABASE_URL is set.
// Tests run the TypeScript sources, never dist/: the "@shop/source" condition
// of each workspace's package.json "exports", for the modules Vite loads and,
// through NODE_OPTIONS, for any process a test starts (as .npmrc does for
// whatever npm runs).
const SOURCE_CONDITION = '@shop/source';
const nodeOptions = process.env['NODE_OPTIONS'] ?? '';

export default defineConfig({
  // Vitest's own server conditions (Vite's without "module") after ours; it
  // passes them to its workers as --conditions too.
  ssr: { resolve: { conditions: [SOURCE_CONDITION, 'node', 'development|production'] } },
  resolve: {
    // Node loads graphql 16 through its CommonJS `main`, as Apollo's packages
    // do; Vite would pick the ESM build and create a second graphql realm
    // ("Cannot use GraphQLScalarType from another module or realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    env: { NODE_OPTIONS: nodeOptions.includes(`--conditions=${SOURCE_CONDITION}`) ? nodeOptions : `${nodeOptions} --conditions=${SOURCE_CONDITION}`.trim() },
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Quiet unless something fails: a test's console output (service logs included,
    // see testing/src/quiet-logs.ts) is shown only when that test fails.
    silent: 'passed-only',
    setupFiles: ['testing/src/quiet-logs.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{apps,packages,subgraphs,router,schema,sdk,testing,bench}/**/src/**/*.test.ts', 'schema/**/*.test.ts', 'deploy/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['integration-tests/src/**/*.e2e.ts'] },
      },
      // The storefront's component tests (jsdom, React): its own config; its browser tests run with Playwright.
      'storefront/vitest.config.ts',
    ],
  },
});
