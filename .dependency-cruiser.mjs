/**
 * Who may import whom (docs/architecture.md, "Layers"), and every import
 * declared in the importing workspace's package.json. Run by
 * `npm run check:imports`; unused declarations are knip's job (knip.jsonc).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Workspace folders of a layer (`packages/*` expands to each package). */
const folders = (...patterns) =>
  patterns
    .flatMap((pattern) => (pattern.endsWith('/*') ? readdirSync(pattern.slice(0, -2)).map((name) => `${pattern.slice(0, -1)}${name}`) : [pattern]))
    .filter((dir) => existsSync(`${dir}/package.json`));

/**
 * A layer's files, reached either by relative path (their folder) or by
 * package name: symlinks are kept (preserveSymlinks below), so `@shop/launcher`
 * resolves to node_modules/@shop/launcher/…, which lets the manifest check see
 * a workspace dependency as the npm package it is.
 */
const layer = (...patterns) => {
  const dirs = folders(...patterns);
  const names = dirs.map((dir) => JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')).name);
  return `^(${dirs.join('|')})/|^node_modules/(${names.join('|')})/`;
};

const SHARED = layer('packages/*', 'schema', 'sdk');
const SERVICES = layer('subgraphs/*', 'router');
const APPS = layer('apps/*');
const TEST_INFRASTRUCTURE = layer('testing', 'integration-tests', 'bench');
const LIBRARIES = `${SHARED}|${SERVICES}`;
const CLIENTS = layer('examples');
const WORKSPACE = `^(${folders('apps/*', 'packages/*', 'subgraphs/*', 'router', 'schema', 'sdk', 'testing', 'integration-tests', 'bench', 'examples').join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'library-imports-app-or-tests',
      comment: 'A library never imports what wires it: applications and test infrastructure sit above every library.',
      severity: 'error',
      from: { path: LIBRARIES },
      to: { path: `${APPS}|${TEST_INFRASTRUCTURE}` },
    },
    {
      name: 'app-imports-tests',
      comment: 'Applications run in production; the harness, the end-to-end tests and the bench are not shipped (Dockerfile).',
      severity: 'error',
      from: { path: APPS },
      to: { path: TEST_INFRASTRUCTURE },
    },
    {
      name: 'shared-package-imports-service',
      comment: 'Subgraphs and the router are built on the shared packages, never the reverse.',
      severity: 'error',
      from: { path: SHARED },
      to: { path: SERVICES },
    },
    {
      name: 'service-imports-service',
      comment: "Subgraphs and the router talk over HTTP and events, not through each other's code.",
      severity: 'error',
      from: { path: SERVICES },
      to: { path: SERVICES, pathNot: '^$1/' },
    },
    {
      name: 'client-imports-more-than-the-sdk',
      comment: "The examples are what a shop's own client would write: the API through @shop/sdk, nothing of the server.",
      severity: 'error',
      from: { path: CLIENTS },
      to: { path: `${layer('packages/*', 'schema')}|${SERVICES}|${APPS}|${TEST_INFRASTRUCTURE}` },
    },
    {
      name: 'workspace-reached-by-path',
      comment: 'Another workspace is imported by its package name (its one public surface), not by a path into its files.',
      severity: 'error',
      from: { path: WORKSPACE },
      to: { dependencyTypes: ['local'], pathNot: '^$1/' },
    },
    {
      name: 'undeclared-dependency',
      comment: "Every package a file imports is in its workspace's package.json, workspaces included (hoisting would hide a missing one).",
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'launcher-loads-a-service-eagerly',
      comment:
        "A process loads only the code of the services SERVICES names: the launcher imports a subgraph, the router or the card provider simulator when it starts it (await import()), and reads the router's settings through @shop/router/config. Types are free.",
      severity: 'error',
      from: { path: `^${folders('apps/*').join('|^')}/src/`, pathNot: '(^|/)__tests__/' },
      to: {
        path: '^node_modules/@shop/(products|orders|payments|payment-provider|router)/',
        pathNot: '^node_modules/@shop/router/src/config\\.ts$',
        dynamic: false,
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'runtime-imports-dev-dependency',
      comment: 'Code that runs in production imports no devDependency: the image installs with --omit=dev (Dockerfile).',
      severity: 'error',
      from: { path: `${LIBRARIES}|${APPS}`, pathNot: '(^|/)(__tests__|scripts)/|\\.test\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // What `npm run build` writes: the sources above are what is checked.
    exclude: { path: '(^|/)dist/' },
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      // Workspaces export their TypeScript sources under the "@shop/source"
      // condition (tsconfig.build.json), which is what is checked here.
      exportsFields: ['exports'],
      conditionNames: ['@shop/source', 'import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
