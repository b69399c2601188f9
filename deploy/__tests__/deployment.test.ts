import { createHash } from 'node:crypto';
/**
 * Checks the deployment files (Dockerfile, docker-compose.yml, deploy/) against
 * each other and against the code, since no container can run where the test
 * suite runs: paths, stages, ports, URLs, secrets, environment variables,
 * Prometheus targets and the Grafana dashboard's metrics.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LAUNCHER_ENV_NAMES, launcherConfigFromEnv, SERVICE_NAMES, type ServiceName } from '../../apps/launcher/src/config.js';
import { ROUTER_ENV_NAMES, routerConfigFromEnv } from '../../router/src/config.js';
import { SUBGRAPHS } from '../../schema/src/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const exists = (path: string) => existsSync(join(ROOT, path));

// ---- docker-compose.yml -----------------------------------------------------

type Environment = Record<string, string>;

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: (string | number | { target?: number; published?: string | number })[];
  restart?: string;
}

interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

// Compose resolves YAML merge keys (`<<: *anchor`); the yaml package does when asked.
const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services;

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml defines no service "${name}"`);
  return found;
}

/** A service's environment as written, before interpolation (values as strings). */
function environmentOf(name: string): Environment {
  const raw = service(name).environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(raw.map((entry) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

function dependenciesOf(name: string): Record<string, { condition?: string }> {
  const raw = service(name).depends_on ?? {};
  return Array.isArray(raw) ? Object.fromEntries(raw.map((dependency) => [dependency, {}])) : raw;
}

/** Bind mounts as [host path relative to the repository, container path]; named volumes are left out. */
function bindMountsOf(name: string): [source: string, target: string][] {
  const mounts: [string, string][] = [];
  for (const volume of service(name).volumes ?? []) {
    const [source, target] = typeof volume === 'string' ? volume.split(':') : [volume.source, volume.target];
    if (source && target && /^[./]/.test(source)) mounts.push([relative(ROOT, resolve(ROOT, source)), target]);
  }
  return mounts;
}

function namedVolumesOf(name: string): [volume: string, target: string][] {
  return (service(name).volumes ?? []).flatMap((volume) => {
    const [source, target] = typeof volume === 'string' ? volume.split(':') : [volume.source, volume.target];
    return source && target && !/^[./]/.test(source) ? [[source, target] as [string, string]] : [];
  });
}

/** The healthcheck command as one string (exec form joined). */
function healthcheckOf(name: string): string {
  const test = service(name).healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

/** Every string value in a parsed document: what compose interpolates. */
function* stringsIn(node: unknown): Generator<string> {
  if (typeof node === 'string') yield node;
  else if (Array.isArray(node)) for (const item of node) yield* stringsIn(item);
  else if (node && typeof node === 'object') for (const value of Object.values(node)) yield* stringsIn(value);
}

// `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`, `${NAME?message}`
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

function variablesIn(text: string): { name: string; hasDefault: boolean }[] {
  return [...text.matchAll(VARIABLE)].map(([, name, operator]) => ({ name: name!, hasDefault: operator?.endsWith('-') ?? false }));
}

/** What compose would substitute, given the variables of .env. */
function interpolate(text: string, variables: Environment): string {
  return text.replace(VARIABLE, (_match, name: string, operator: string | undefined, argument: string | undefined) => {
    const value = variables[name];
    const set = operator?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
    if (operator?.endsWith('-')) return set ? value! : (argument ?? '');
    if (operator?.endsWith('?') && !set) throw new Error(`compose would stop: ${name}: ${argument}`);
    return value ?? '';
  });
}

// ---- the Dockerfile -----------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined; comments (and the syntax directive) dropped. */
function dockerfileInstructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = dockerfileInstructions(read('Dockerfile'));
const stageNames = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]).filter(Boolean);

/** The sources of COPY/ADD from the build context (not `--from=<stage>`). */
function contextCopySources(): string[] {
  return dockerfile
    .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
    .flatMap((i) => {
      const words = i.args.startsWith('[') ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      return words.slice(0, -1);
    });
}

/** The environment the runtime stage sets (ENV KEY=value …); compose adds to it. */
function runtimeStageEnvironment(): Environment {
  const start = dockerfile.findLastIndex((i) => i.keyword === 'FROM');
  const env: Environment = {};
  for (const { keyword, args } of dockerfile.slice(start)) {
    if (keyword !== 'ENV') continue;
    // KEY=value or KEY="a value with spaces", each at the start or after a space (not inside a quoted value).
    for (const [, key, quoted, plain] of args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g)) env[key!] = quoted ?? plain!;
  }
  return env;
}

/** A .dockerignore pattern as a regular expression: `**` spans folders, `*` and `?` stay within one. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (glob[i] === '*') source += '[^/]*';
    else if (glob[i] === '?') source += '[^/]';
    else source += glob[i]!.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Is a context path left out by .dockerignore? Patterns are anchored at the root; the last match wins, `!` re-includes. */
function dockerignored(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  // A pattern excludes a path when it matches the path or one of its parent folders.
  const candidates = path.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const regExp = globToRegExp(negated ? pattern.slice(1) : pattern);
    if (candidates.some((candidate) => regExp.test(candidate))) ignored = !negated;
  }
  return ignored;
}

/** Folders holding a package.json, from the root package.json's "workspaces" (`dir` or `dir/*`). */
function workspaceFolders(): string[] {
  const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
  return workspaces
    .flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`)
        : [pattern],
    )
    .filter((folder) => exists(`${folder}/package.json`));
}

// ---- the code's side ----------------------------------------------------------

/** Environment variable names a source file reads directly: env['X'], env.X, process.env['X']. */
function envNamesReadIn(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    for (const [, quoted, dotted] of read(file).matchAll(/\benv(?:\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]|\.([A-Z][A-Z0-9_]*))/g)) {
      names.add((quoted ?? dotted)!);
    }
  }
  return names;
}

/** The TypeScript the services run: sources of apps, packages, subgraphs and router, without tests and test helpers. */
function runtimeSourceFiles(): string[] {
  const roots = ['router/src', ...['apps', 'packages', 'subgraphs'].flatMap((dir) => readdirSync(join(ROOT, dir)).map((name) => `${dir}/${name}/src`))];
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!exists(dir)) return;
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) {
        if (!['__tests__', '__generated__', 'testing'].includes(name)) walk(path);
      } else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) files.push(path);
    }
  };
  roots.forEach(walk);
  return files;
}

/** The source a compiled file is built from: `packages/x/dist/main.js` → `packages/x/src/main.ts` (tsconfig.build.json). */
const sourceOf = (compiled: string) => compiled.replace(/^((?:[^/]+\/)*?)dist\//, '$1src/').replace(/\.js$/, '.ts');

/** The JavaScript file a command runs with node, e.g. `apps/launcher/dist/main.js`. */
function scriptOf(command: string[]): string | undefined {
  return command[0] === 'node' ? command.slice(1).find((word) => !word.startsWith('-')) : undefined;
}

/** The variables each app service's code reads: the launcher's and router's schemas, or a standalone entry point's own reads. */
function knownEnvNamesFor(name: string): Set<string> {
  const command = service(name).command;
  const script = command === undefined ? undefined : scriptOf(Array.isArray(command) ? command : command.split(/\s+/));
  const entry = script && sourceOf(script);
  const runtime = runtimeSourceFiles();
  if (!entry || entry === 'apps/launcher/src/main.ts') {
    return new Set([...LAUNCHER_ENV_NAMES, ...ROUTER_ENV_NAMES, ...envNamesReadIn(runtime)]);
  }
  // A standalone entry point (the card provider simulator): what it reads, plus LOG_LEVEL through the shared logger.
  const loggers = runtime.filter((file) => /export function createLogger\b/.test(read(file)));
  return envNamesReadIn([entry, ...loggers]);
}

/** The port variable of an app service: ROUTER_PORT, PRODUCTS_PORT, …, PAYMENT_PROVIDER_PORT. */
const portVariable = (name: ServiceName) => `${name.toUpperCase().replace(/-/g, '_')}_PORT`;

function portOf(name: ServiceName): number {
  const value = environmentOf(name)[portVariable(name)];
  if (!value) throw new Error(`${name} sets no ${portVariable(name)} in docker-compose.yml`);
  return Number(value);
}

/** Where a service serves /metrics: the router on ROUTER_METRICS_PORT (kept off its public port), the others on their own port. */
function metricsPortOf(name: ServiceName): number {
  const dedicated = name === 'router' ? environmentOf(name)['ROUTER_METRICS_PORT'] : undefined;
  return dedicated ? Number(dedicated) : portOf(name);
}

const SUBGRAPH_NAMES = SUBGRAPHS.map((subgraph) => subgraph.name);
const LAUNCHER_SERVICES = SERVICE_NAMES.filter((name) => !service(name).command);

// ---- deploy/.env.example ------------------------------------------------------

function dotEnv(path: string): Environment {
  return Object.fromEntries(
    read(path)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const envExample = dotEnv('deploy/.env.example');

/** A service's environment as its container would see it with .env.example as .env: the image's ENV, then compose's. */
/**
 * The .env a user writes from the example: every secret and password replaced,
 * as the file says, by `openssl rand -hex 32` (here a fixed stand-in of that form).
 */
const userEnv: Environment = Object.fromEntries(
  Object.entries(envExample).map(([key, value]) => [key, /_(SECRET|PASSWORD)$/.test(key) ? createHash('sha256').update(key).digest('hex') : value]),
);

function containerEnvironment(name: string): Environment {
  const composed = Object.entries(environmentOf(name)).map(([key, value]) => [key, interpolate(value, userEnv)]);
  return { ...runtimeStageEnvironment(), ...Object.fromEntries(composed) };
}

// ---- Prometheus and Grafana ---------------------------------------------------

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; port: number; type?: string }[];
}

const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: ScrapeConfig[] };

/** Every scrape target as host and port (static targets and DNS names). */
function scrapeTargets(): { job: string; host: string; port: number; path: string }[] {
  return prometheus.scrape_configs.flatMap((config) => {
    const path = config.metrics_path ?? '/metrics';
    const statics = (config.static_configs ?? []).flatMap(({ targets }) =>
      targets.map((target) => ({ job: config.job_name, host: target.split(':')[0]!, port: Number(target.split(':')[1]), path })),
    );
    const discovered = (config.dns_sd_configs ?? []).flatMap(({ names, port }) => names.map((host) => ({ job: config.job_name, host, port, path })));
    return [...statics, ...discovered];
  });
}

interface Panel {
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(read('deploy/grafana/dashboards/shop.json')) as { panels: Panel[] };
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
const expressions = allPanels(dashboard.panels).flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));

const PROMQL_WORDS = new Set(
  'sum min max avg count stddev stdvar topk bottomk quantile count_values group by without on ignoring group_left group_right offset bool and or unless inf nan'.split(' '),
);

/** Metric names in a PromQL expression: identifiers outside label matchers, ranges and strings that are not functions or keywords. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)].map(([, name]) => name!).filter((name) => !PROMQL_WORDS.has(name.toLowerCase()));
}

/** The `shop_…` metrics of docs/observability.md's table, with their type. */
function documentedMetrics(): Map<string, string> {
  const rows = read('docs/observability.md').matchAll(/^\|\s*`(shop_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|/gm);
  return new Map([...rows].map(([, name, type]) => [name!, type!]));
}

/** Series names a metric family exposes: a histogram's _bucket, _sum and _count too. */
const seriesNames = (name: string, type: string) => (type === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]);

async function nodeDefaultMetrics(): Promise<Map<string, string>> {
  // The same defaults every service's registry collects (prom-client's collectDefaultMetrics).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = await registry.getMetricsAsJSON();
  return new Map(metrics.map((metric) => [metric.name, String(metric.type)]));
}

// ---- running a healthcheck command ------------------------------------------

/** A local stand-in for a service: answers /ready with `status` and records the paths asked for. */
async function fakeService(status: number): Promise<{ port: number; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((request, response) => {
    paths.push(request.url ?? '');
    response.writeHead(request.url === '/ready' ? status : 404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { port, paths, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** Runs a `node -e …` healthcheck with only the given environment; resolves with its exit code. */
function runNodeCheck(args: string[], env: Environment): Promise<number | null> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'ignore' });
    child.once('error', fail);
    child.once('exit', (code) => done(code));
  });
}

// ==== the checks ================================================================

describe('Dockerfile', () => {
  it('builds every compose service that has a build section from an existing context, Dockerfile and stage', () => {
    const built = Object.entries(services).filter(([, definition]) => definition.build);
    expect(built.length).toBeGreaterThan(0);
    for (const [name, { build }] of built) {
      const { context = '.', dockerfile: file = 'Dockerfile', target } = typeof build === 'string' ? { context: build } : build!;
      expect(exists(context), `${name}: build context ${context}`).toBe(true);
      expect(exists(join(context, file)), `${name}: dockerfile ${file}`).toBe(true);
      if (target) expect(stageNames, `${name}: build target`).toContain(target);
    }
  });

  it('copies only paths that exist in the repository and are not left out by .dockerignore', () => {
    const sources = contextCopySources();
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(exists(source), `COPY ${source}: no such path`).toBe(true);
      expect(dockerignored(source), `COPY ${source}: excluded by .dockerignore`).toBe(false);
    }
  });

  it('copies every workspace package.json before npm ci, so the install matches the lockfile', () => {
    const copied = new Set(contextCopySources());
    const install = dockerfile.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(install, 'a RUN npm ci').toBeGreaterThan(-1);
    const copiedBeforeInstall = new Set(
      dockerfile.slice(0, install).filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1)),
    );
    for (const manifest of ['package.json', 'package-lock.json', ...workspaceFolders().map((folder) => `${folder}/package.json`)]) {
      expect(copied.has(manifest) && copiedBeforeInstall.has(manifest), `${manifest} is COPY'd before npm ci`).toBe(true);
    }
  });

  it('keeps node_modules, local data, .git and .env files out of the build context', () => {
    for (const path of ['node_modules/yaml', 'apps/launcher/node_modules', '.data/pglite', '.git/HEAD', '.env', 'deploy/.env']) {
      expect(dockerignored(path), path).toBe(true);
    }
  });

  it('runs the compiled launcher in production on all interfaces as the non-root node user', () => {
    const start = dockerfile.findLastIndex((i) => i.keyword === 'FROM');
    const runtime = dockerfile.slice(start);
    expect(runtime.find((i) => i.keyword === 'USER')?.args).toBe('node');
    const environment = runtimeStageEnvironment();
    expect(Object.keys(environment).sort()).toEqual(['HOST', 'NODE_ENV']);
    expect(environment).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    const command = JSON.parse(runtime.find((i) => i.keyword === 'CMD')!.args) as string[];
    expect([command[0], command.at(-1)]).toEqual(['node', 'apps/launcher/dist/main.js']);
  });

  it("gives node, in the image's command and in each compose service's own, only options this Node accepts", () => {
    const cmd = JSON.parse(dockerfile.findLast((i) => i.keyword === 'CMD')!.args) as string[];
    const commands: [string, string[]][] = [['Dockerfile CMD', cmd]];
    for (const [name, { build, command }] of Object.entries(services)) if (build && command) commands.push([name, Array.isArray(command) ? command : command.split(/\s+/)]);
    for (const [who, command] of commands) {
      // Between node and its script, V8's heap sizing: a flag this Node refused would stop the container.
      const options = command.slice(1, command.indexOf(scriptOf(command)!));
      expect(options.every((option) => option.startsWith('--')), who).toBe(true);
      const check = spawnSync(process.execPath, [...options, '-e', ''], { encoding: 'utf8' });
      expect(check.stderr, who).toBe('');
      expect(check.status, who).toBe(0);
    }
  });

  it('HEALTHCHECK asks /ready on the port of the service named in SERVICES and fails on anything but 2xx', async () => {
    const healthcheck = dockerfile.find((i) => i.keyword === 'HEALTHCHECK')!;
    const command = JSON.parse(healthcheck.args.slice(healthcheck.args.indexOf('CMD') + 3).trim()) as string[];
    expect(command[0]).toBe('node');
    const args = command.slice(1);
    const ready = await fakeService(200);
    const notReady = await fakeService(503);
    try {
      const runs = SERVICE_NAMES.map(async (name) => {
        const env = { SERVICES: name, [portVariable(name)]: String(ready.port) };
        expect(await runNodeCheck(args, env), `${name} ready`).toBe(0);
        expect(await runNodeCheck(args, { ...env, [portVariable(name)]: String(notReady.port) }), `${name} not ready`).toBe(1);
      });
      // Several services in one container: the router's readiness covers the others.
      runs.push(
        runNodeCheck(args, { SERVICES: 'products,router', ROUTER_PORT: String(ready.port), PRODUCTS_PORT: String(notReady.port) }).then((code) =>
          expect(code, 'products,router').toBe(0),
        ),
      );
      await Promise.all(runs);
      expect(new Set([...ready.paths, ...notReady.paths])).toEqual(new Set(['/ready']));
    } finally {
      await ready.close();
      await notReady.close();
    }
  });
});

describe('the image runs compiled JavaScript', () => {
  /** The instructions of one stage, by its name (`FROM … AS name`). */
  function stage(name: string): Instruction[] {
    const start = dockerfile.findIndex((i) => i.keyword === 'FROM' && new RegExp(`\\bAS\\s+${name}$`, 'i').test(i.args));
    expect(start, `a stage named ${name}`).toBeGreaterThan(-1);
    const end = dockerfile.findIndex((i, index) => index > start && i.keyword === 'FROM');
    return dockerfile.slice(start, end === -1 ? undefined : end);
  }
  const runs = (instructions: Instruction[]) => instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const fromStages = (instructions: Instruction[]) =>
    instructions.flatMap((i) => (i.keyword === 'COPY' ? [/--from=(\S+)/.exec(i.args)?.[1]].filter((from) => from !== undefined) : []));

  /** The workspaces a production process loads: the launcher and every library it reaches, and the card provider simulator. */
  const SHIPPED = ['apps/launcher', 'router', 'schema', 'sdk', ...['packages', 'subgraphs'].flatMap((dir) => readdirSync(join(ROOT, dir)).map((name) => `${dir}/${name}`))];

  /** Each command a container runs: the image's CMD, and each compose service's own command. */
  function containerCommands(): [who: string, command: string[]][] {
    const cmd = dockerfile.findLast((i) => i.keyword === 'CMD')!;
    const own = Object.entries(services).flatMap(([name, { build, command }]) =>
      build && command ? [[name, Array.isArray(command) ? command : command.split(/\s+/)] as [string, string[]]] : [],
    );
    return [['Dockerfile CMD', JSON.parse(cmd.args) as string[]], ...own];
  }

  it('builds in a stage with the dev dependencies and runs a stage with the production ones only, without tsx', () => {
    const build = stage('build');
    expect(runs(build).some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run)), 'build: npm ci with dev dependencies').toBe(true);
    expect(runs(build).some((run) => /\bnpm run build\b/.test(run)), 'build: npm run build').toBe(true);
    expect(runs(stage('deps')).some((run) => /\bnpm ci\b.*--omit=dev/.test(run)), 'deps: npm ci --omit=dev').toBe(true);
    const runtime = stage('runtime');
    expect(new Set(fromStages(runtime))).toEqual(new Set(['deps', 'build']));
    // From the build stage only what it collected: no sources, no dev dependencies.
    expect(runtime.filter((i) => i.keyword === 'COPY' && /--from=build/.test(i.args)).map((i) => i.args)).toEqual(['--from=build /out ./']);
    expect(runtime.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args)), 'runtime: nothing from the build context').toEqual([]);
    expect(runs(runtime).some((run) => /\bnpm\b/.test(run)), 'runtime: no install of its own').toBe(false);
    for (const [who, command] of containerCommands()) expect(command.join(' '), who).not.toMatch(/tsx|\.ts\b/);
    // tsx is a development tool: no workspace that ships depends on it, so --omit=dev leaves it out.
    for (const folder of SHIPPED) {
      const manifest = JSON.parse(read(`${folder}/package.json`)) as { dependencies?: Record<string, string> };
      expect(manifest.dependencies?.['tsx'], `${folder} depends on tsx`).toBeUndefined();
    }
  });

  it('starts each container with a file the build produces and the runtime stage holds', () => {
    const collect = runs(stage('build')).find((run) => /\bnpm run build\b/.test(run))!;
    for (const [who, command] of containerCommands()) {
      const script = scriptOf(command);
      expect(script, `${who}: node <file>`).toMatch(/^[^/]+(\/[^/]+)?\/dist\/.+\.js$/);
      const workspace = script!.slice(0, script!.indexOf('/dist/'));
      const manifest = JSON.parse(read(`${workspace}/package.json`)) as { scripts?: Record<string, string> };
      expect(manifest.scripts?.['build'], `${who}: ${workspace} has a build`).toMatch(/\btsc -p tsconfig\.build\.json\b/);
      expect(exists(`${workspace}/tsconfig.build.json`), `${who}: ${workspace}/tsconfig.build.json`).toBe(true);
      // tsconfig.build.json compiles src/ into dist/ file for file.
      expect(exists(sourceOf(script!)), `${who}: ${sourceOf(script!)}, compiled to ${script}`).toBe(true);
      // The build stage collects that dist/ folder into /out, which the runtime stage copies.
      const collected = collect.split(/\s+/).some((word) => globToRegExp(word).test(`${workspace}/dist`));
      expect(collected, `${who}: the build stage collects ${workspace}/dist`).toBe(true);
    }
  });

  it('collects every shipped workspace\'s dist/ and the files read at run time beside the code', () => {
    const collect = runs(stage('build')).find((run) => /\bnpm run build\b/.test(run))!;
    const words = collect.split(/\s+/);
    for (const folder of SHIPPED) {
      expect(words.some((word) => globToRegExp(word).test(`${folder}/dist`)), `${folder}/dist collected`).toBe(true);
    }
    // The router reads the composed supergraph (SUPERGRAPH_PATH, schema/supergraph.graphql).
    expect(words).toContain('schema/supergraph.graphql');
    // Each subgraph reads its SDL beside its code (new URL('./schema.graphql', import.meta.url)): the build copies it into dist/.
    for (const name of SUBGRAPH_NAMES) {
      expect(read(`subgraphs/${name}/src/subgraph.ts`)).toContain("new URL('./schema.graphql', import.meta.url)");
      const { scripts } = JSON.parse(read(`subgraphs/${name}/package.json`)) as { scripts: Record<string, string> };
      expect(scripts['build'], `${name}: build copies schema.graphql`).toContain('cp src/schema.graphql dist/');
    }
    // The router reads the SDK's persisted-documents manifest through its export: dist/ by default, emitted by tsc.
    const sdk = JSON.parse(read('sdk/package.json')) as { exports: Record<string, Record<string, string>> };
    const manifest = sdk.exports['./persisted-documents.json']!;
    expect(manifest['default']).toBe(manifest['@shop/source']!.replace('./src/', './dist/'));
    expect(read('sdk/tsconfig.build.json')).toContain(manifest['@shop/source']!.slice(2));
  });

  it('gives every shipped workspace exports that read src/ under "@shop/source" and dist/ otherwise', () => {
    for (const folder of SHIPPED) {
      const { exports } = JSON.parse(read(`${folder}/package.json`)) as { exports: Record<string, Record<string, string>> };
      for (const [subpath, targets] of Object.entries(exports)) {
        const where = `${folder} exports["${subpath}"]`;
        expect(Object.keys(targets)[0], `${where}: "@shop/source" first`).toBe('@shop/source');
        const source = targets['@shop/source']!;
        expect(exists(join(folder, source)), `${where}: ${source}`).toBe(true);
        const compiled = source.replace('./src/', './dist/').replace(/\.ts$/, '.js');
        expect(targets['default'], `${where}: default`).toBe(compiled);
        if (source.endsWith('.ts')) expect(targets['types'], `${where}: types`).toBe(compiled.replace(/\.js$/, '.d.ts'));
      }
    }
  });
});

describe('docker-compose.yml', () => {
  it('defines a service for each of the launcher\'s services, and gives every service a healthcheck and a restart policy', () => {
    for (const name of SERVICE_NAMES) expect(services[name], name).toBeDefined();
    for (const [name, definition] of Object.entries(services)) {
      expect(definition.healthcheck?.test, `${name}: healthcheck`).toBeDefined();
      expect(definition.restart, `${name}: restart`).toMatch(/^(always|unless-stopped|on-failure)/);
    }
  });

  it('bind-mounts only files and folders that exist', () => {
    const mounts = Object.keys(services).flatMap(bindMountsOf);
    expect(mounts.length).toBeGreaterThan(0);
    for (const [source] of mounts) expect(exists(source), source).toBe(true);
    for (const [name] of Object.entries(services)) {
      for (const [volume] of namedVolumesOf(name)) expect(compose.volumes ?? {}, `${name}: volume ${volume}`).toHaveProperty(volume);
    }
  });

  it('depends only on defined services, and waits for healthy ones only where they have a healthcheck', () => {
    for (const name of Object.keys(services)) {
      for (const [dependency, { condition }] of Object.entries(dependenciesOf(name))) {
        expect(services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(services[dependency]!.healthcheck?.test, `${dependency} has a healthcheck`).toBeDefined();
      }
    }
    // The subgraphs need their database and the event broker; the router its subgraphs.
    for (const subgraph of SUBGRAPH_NAMES) expect(Object.keys(dependenciesOf(subgraph))).toEqual(expect.arrayContaining(['postgres', 'nats']));
    expect(Object.keys(dependenciesOf('router'))).toEqual(expect.arrayContaining(SUBGRAPH_NAMES));
  });

  it('sets on the app services only environment variables their code reads', () => {
    for (const name of SERVICE_NAMES) {
      const known = knownEnvNamesFor(name);
      expect(known.size, `${name}: names found in the code`).toBeGreaterThan(2);
      for (const variable of Object.keys(environmentOf(name))) expect(known.has(variable), `${name}: ${variable} is read by no code`).toBe(true);
    }
  });

  it('takes every ${VAR} from deploy/.env.example or gives it a default, and has no bare $ compose would interpolate', () => {
    const strings = [...stringsIn(compose)];
    const used = strings.flatMap(variablesIn);
    expect(used.length).toBeGreaterThan(0);
    for (const { name, hasDefault } of used) expect(hasDefault || name in envExample, `${name} is neither in deploy/.env.example nor defaulted`).toBe(true);
    for (const text of strings) expect(text.replace(VARIABLE, '').replace(/\$\$/g, ''), 'a bare $').not.toContain('$');
  });

  it('gives each app service settings the launcher accepts: production, one service, Postgres, NATS and its own secret for subgraphs', () => {
    for (const name of LAUNCHER_SERVICES) {
      const config = launcherConfigFromEnv(containerEnvironment(name));
      expect(config.production, name).toBe(true);
      expect(config.host, name).toBe('0.0.0.0');
      expect([...config.services], name).toEqual([name]);
      if (SUBGRAPH_NAMES.includes(name as (typeof SUBGRAPH_NAMES)[number])) {
        expect(config.database.kind, name).toBe('postgres');
        expect(config.events, name).toEqual({ kind: 'jetstream', url: 'nats://nats:4222' });
        expect(Object.keys(config.subgraphSecrets), `${name} gets its own secret only`).toEqual([name]);
      } else {
        // The router opens no database (the launcher creates none without a subgraph) and holds every secret.
        expect(config.router, name).toBeDefined();
        expect(Object.keys(config.subgraphSecrets).sort(), name).toEqual([...SUBGRAPH_NAMES].sort());
      }
    }
    // The card provider simulator runs its own entry point, not the launcher.
    expect(LAUNCHER_SERVICES).not.toContain('payment-provider');
  });

  it('gives each subgraph the same subgraph secret variable as the router sends it', () => {
    const router = environmentOf('router');
    const referenced = new Set<string>();
    for (const subgraph of SUBGRAPH_NAMES) {
      const variable = `${subgraph.toUpperCase()}_SUBGRAPH_SECRET`;
      const sent = router[variable];
      expect(sent, `router sets ${variable}`).toBeDefined();
      expect(environmentOf(subgraph)[variable], `${subgraph} gets ${variable} as the router does`).toBe(sent);
      const [reference] = variablesIn(sent!);
      expect(reference?.name, `${variable} comes from .env`).toBe(variable);
      referenced.add(reference!.name);
    }
    expect(referenced.size).toBe(SUBGRAPH_NAMES.length);
  });

  it('points the router at the subgraphs, and payments at the card provider, by service name and port', () => {
    const router = containerEnvironment('router');
    for (const subgraph of SUBGRAPH_NAMES) {
      const url = new URL(router[`${subgraph.toUpperCase()}_URL`] ?? 'missing:');
      expect(`${url.protocol}//${url.hostname}:${url.port}${url.pathname}`).toBe(`http://${subgraph}:${portOf(subgraph)}/graphql`);
    }
    const provider = new URL(containerEnvironment('payments')['PAYMENT_PROVIDER_URL'] ?? 'missing:');
    expect(`${provider.hostname}:${provider.port}`).toBe(`payment-provider:${portOf('payment-provider')}`);
  });

  it('probes each app service\'s /ready on the port that service listens on', () => {
    for (const name of SERVICE_NAMES) {
      const probed = /http:\/\/(?:127\.0\.0\.1|localhost):(\d+)\/ready\b/.exec(healthcheckOf(name));
      expect(probed, `${name}: healthcheck asks /ready`).not.toBeNull();
      expect(Number(probed![1]), name).toBe(portOf(name));
    }
  });

  it('app healthchecks exit 0 when /ready answers 200 and 1 when it answers 503', async () => {
    const ready = await fakeService(200);
    const notReady = await fakeService(503);
    try {
      const runs = SERVICE_NAMES.map(async (name) => {
        const test = service(name).healthcheck!.test as string[];
        expect(test.slice(0, 3), name).toEqual(['CMD', 'node', '-e']);
        // The same script, pointed at the stand-in instead of the container's port.
        const at = (port: number) => test.slice(2).map((arg) => arg.replace(`:${portOf(name)}/`, `:${port}/`));
        expect(await runNodeCheck(at(ready.port), {}), `${name} ready`).toBe(0);
        expect(await runNodeCheck(at(notReady.port), {}), `${name} not ready`).toBe(1);
      });
      await Promise.all(runs);
    } finally {
      await ready.close();
      await notReady.close();
    }
  });

  it('publishes only the router among the app services', () => {
    const published = SERVICE_NAMES.filter((name) => (service(name).ports ?? []).length > 0);
    expect(published).toEqual(['router']);
    expect(String(service('router').ports![0])).toMatch(new RegExp(`:${portOf('router')}$`));
  });

  it('connects the subgraphs as the role that owns the databases the postgres init script creates', () => {
    const initMount = bindMountsOf('postgres').find(([, target]) => target === '/docker-entrypoint-initdb.d');
    expect(initMount, 'init scripts mounted').toBeDefined();
    const scripts = readdirSync(join(ROOT, initMount![0])).map((file) => read(join(initMount![0], file))).join('\n');
    const owners = new Map([...scripts.matchAll(/CREATE DATABASE (\w+) OWNER (\w+)/gi)].map(([, database, owner]) => [database!, owner!]));
    for (const subgraph of SUBGRAPH_NAMES) {
      const url = new URL(containerEnvironment(subgraph)['DATABASE_URL']!);
      expect(url.hostname).toBe('postgres');
      expect(scripts, 'the role is created').toMatch(new RegExp(`CREATE ROLE ${url.username} LOGIN`, 'i'));
      // Each subgraph uses the database <name of the URL's database>_<subgraph> (packages/database).
      expect(owners.get(`${url.pathname.slice(1)}_${subgraph}`), `${subgraph}'s database and its owner`).toBe(url.username);
      expect(decodeURIComponent(url.password)).toBe(userEnv['SHOP_DB_PASSWORD']);
    }
    // The init script reads the role's password from the postgres container's environment.
    for (const variable of new Set([...scripts.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map(([, name]) => name!))) {
      if (variable !== 'POSTGRES_USER') expect(environmentOf('postgres'), `postgres gets ${variable}`).toHaveProperty(variable);
    }
  });

  it('runs NATS from deploy/nats/nats.conf with JetStream fsyncing always and its store on a volume', () => {
    const conf = read('deploy/nats/nats.conf').replace(/#.*$/gm, '');
    const jetstream = /jetstream\s*\{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(jetstream).toMatch(/^\s*sync_interval\s*:\s*always\s*$/m);
    const storeDir = /store_dir\s*:\s*"?([^"\s]+)"?/.exec(jetstream)?.[1];
    expect(storeDir).toBeDefined();
    expect(namedVolumesOf('nats').some(([, target]) => storeDir!.startsWith(`${target}/`) || storeDir === target), `${storeDir} on a volume`).toBe(true);
    // The command loads the mounted file.
    const command = service('nats').command as string[];
    const confTarget = bindMountsOf('nats').find(([source]) => source === 'deploy/nats/nats.conf')?.[1];
    expect(command[command.indexOf('--config') + 1]).toBe(confTarget);
    // Clients and the healthcheck use the ports the file sets.
    const port = /^\s*port\s*:\s*(\d+)/m.exec(conf)?.[1];
    const httpPort = /^\s*http_port\s*:\s*(\d+)/m.exec(conf)?.[1];
    for (const subgraph of SUBGRAPH_NAMES) expect(containerEnvironment(subgraph)['NATS_URL']).toBe(`nats://nats:${port}`);
    expect(healthcheckOf('nats')).toContain(`:${httpPort}/healthz`);
  });
});

describe('deploy/.env.example', () => {
  it('lists every secret, with placeholders the services refuse and a documented form they accept', () => {
    const names = (env: Environment) => Object.keys(env).filter((name) => name.endsWith('_SECRET'));
    expect(names(envExample).sort()).toEqual(['JWT_SECRET', ...SUBGRAPH_NAMES.map((name) => `${name.toUpperCase()}_SUBGRAPH_SECRET`)].sort());
    const pick = (env: Environment) => Object.fromEntries(names(env).map((name) => [name, env[name]]));
    // The public placeholders must never run: the router's own schema refuses them in production...
    expect(() => routerConfigFromEnv({ NODE_ENV: 'production', ...pick(envExample) })).toThrow(/placeholder/);
    // ...and accepts what `openssl rand -hex 32` gives (length rules: JWT ≥ 32, subgraph secrets ≥ 16).
    expect(() => routerConfigFromEnv({ NODE_ENV: 'production', ...pick(userEnv) })).not.toThrow();
    for (const [name, value] of Object.entries(userEnv).filter(([key]) => /_(SECRET|PASSWORD)$/.test(key))) {
      // Hex needs no escaping in DATABASE_URL.
      expect(value, name).toMatch(/^[A-Za-z0-9._~-]{16,}$/);
    }
  });
});

describe('Prometheus', () => {
  it('scrapes /metrics of each app service on the port that service serves it on', () => {
    const targets = scrapeTargets();
    for (const name of SERVICE_NAMES) {
      const found = targets.filter((target) => target.host === name);
      expect(found.length, `${name} is scraped`).toBeGreaterThan(0);
      for (const target of found) {
        expect(target.port, `${target.job}: metrics port of ${name}`).toBe(metricsPortOf(name));
        expect(target.path).toBe('/metrics');
      }
    }
    // The router faces the internet: its metrics listen apart from its public port.
    expect(metricsPortOf('router')).not.toBe(portOf('router'));
    // No target names a compose service that does not exist.
    for (const { host } of targets) if (host !== 'localhost') expect(services, host).toHaveProperty(host);
  });
});

describe('Grafana', () => {
  const provisionedDatasources = () =>
    (parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; type: string; url: string }[] }).datasources;

  it('charts only metrics documented in docs/observability.md (histogram series and Node defaults included)', async () => {
    const documented = documentedMetrics();
    expect(documented.size, 'metrics found in the docs table').toBeGreaterThan(10);
    const known = new Set<string>(['up']); // Prometheus's own per-target series
    for (const [name, type] of [...documented, ...(await nodeDefaultMetrics())]) seriesNames(name, type).forEach((series) => known.add(series));
    const used = expressions.flatMap(metricNamesIn);
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(known.has(name), `${name} is not documented`).toBe(true);
  });

  it('charts every documented shop_ metric at least once', () => {
    const used = new Set(expressions.flatMap(metricNamesIn).map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    for (const name of documentedMetrics().keys()) expect(used.has(name), `${name} is on no panel`).toBe(true);
  });

  it('points every panel and query at the provisioned Prometheus datasource uid', () => {
    const [datasource, ...others] = provisionedDatasources();
    expect(others).toEqual([]);
    expect(datasource!.type).toBe('prometheus');
    const uids = allPanels(dashboard.panels)
      .filter((panel) => panel.type !== 'row')
      .flatMap((panel) => [panel.datasource?.uid, ...(panel.targets ?? []).map((target) => target.datasource?.uid)]);
    expect(uids.length).toBeGreaterThan(0);
    for (const uid of uids) expect(uid).toBe(datasource!.uid);
  });

  it('reaches Prometheus by service name and loads dashboards from the folder where they are mounted', () => {
    const url = new URL(provisionedDatasources()[0]!.url);
    expect(services).toHaveProperty(url.hostname);
    expect(url.port).toBe('9090');
    const mounts = new Map(bindMountsOf('grafana'));
    expect(mounts.get('deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const dashboardsFolder = mounts.get('deploy/grafana/dashboards');
    const { providers } = parse(read('deploy/grafana/provisioning/dashboards/shop.yml')) as { providers: { options: { path: string } }[] };
    expect(providers.map((provider) => provider.options.path)).toEqual([dashboardsFolder]);
    expect(environmentOf('grafana')['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']).toBe(`${dashboardsFolder}/shop.json`);
  });
});
