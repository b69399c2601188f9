import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (`src/**/__tests__/*.test.ts`); end-to-end
// tests drive the whole supergraph through the router (`*.e2e.ts`). Both run
// against PGlite, or against real Postgres when DATABASE_URL is set.
export default defineConfig({
  resolve: {
    // Node loads graphql 16 through its CommonJS `main`, as Apollo's packages
    // do; Vite would pick the ESM build and create a second graphql realm
    // ("Cannot use GraphQLScalarType from another module or realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
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
          include: ['{apps,packages,subgraphs,router,schema,sdk,testing}/**/src/**/*.test.ts', 'schema/**/*.test.ts', 'deploy/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['integration-tests/src/**/*.e2e.ts'] },
      },
    ],
  },
});
