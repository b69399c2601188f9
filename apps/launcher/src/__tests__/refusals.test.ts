import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { launcherConfigFromEnv } from '../config.js';
import { dataDirToLock } from '../preflight.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const run = promisify(execFile);

/** `npm start` as a new user runs it (tsx main.ts), with `env` added; its exit code and output. */
async function start(env: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  // The embedded default, whatever the suite runs on: these refusals come before any database is opened.
  const { DATABASE_URL: _database, NATS_URL: _nats, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--conditions=@shop/source', '--import', 'tsx', MAIN, ...args], { env: { ...inherited, LOG_LEVEL: 'silent', ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'launcher-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('npm start refuses clearly, before opening anything', () => {
  it('--help prints the settings and starts nothing', async () => {
    const { code, stdout } = await start({}, ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/DATA_DIR/);
    expect(stdout).toMatch(/ROUTER_PORT/);
  });

  it('names the setting of a port in use, in one line', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = await tempDir();
    const { code, stderr } = await start({ DATA_DIR: dataDir, ROUTER_PORT: '0', PRODUCTS_PORT: '0', ORDERS_PORT: String(port), PAYMENTS_PORT: '0', PAYMENT_PROVIDER_PORT: '0' });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`Cannot start: port ${port} on 127.0.0.1 is in use (another \`npm start\`?): stop that program or set ORDERS_PORT to a free port (0 picks one).`);
  });

  it('refuses a data folder another running instance holds, naming its process', async () => {
    const dataDir = await tempDir();
    // This test runner is a running process: as if it were the first instance.
    await writeFile(join(dataDir, 'shop.pid'), `${process.pid}\n`);
    const { code, stderr } = await start({ DATA_DIR: dataDir, ROUTER_PORT: '0', PRODUCTS_PORT: '0', ORDERS_PORT: '0', PAYMENTS_PORT: '0', PAYMENT_PROVIDER_PORT: '0' });
    expect(code).toBe(1);
    expect(stderr).toContain(`${dataDir} is in use by another \`npm start\` (process ${process.pid})`);
    expect(stderr).toContain('DATA_DIR=');
  });
});

describe('production settings', () => {
  it('lists every missing or invalid setting in one refusal', () => {
    let message = '';
    try {
      launcherConfigFromEnv({ NODE_ENV: 'production', JWT_SECRET: 'too-short', PRODUCTS_PORT: 'eighty' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration \(3 problems\):/);
    expect(message).toContain('PRODUCTS_PORT');
    expect(message).toContain('JWT_SECRET must be at least 32 characters');
    expect(message).toContain('set PRODUCTS_SUBGRAPH_SECRET, ORDERS_SUBGRAPH_SECRET, PAYMENTS_SUBGRAPH_SECRET in production');
  });
});

describe('the data folder lock', () => {
  it('is taken by a process that opens the embedded databases, and by no other', () => {
    const lockOf = (env: Record<string, string>) => dataDirToLock(launcherConfigFromEnv({ DATA_DIR: '/srv/shop', ...env }));
    expect(lockOf({})).toBe('/srv/shop');
    expect(lockOf({ SERVICES: 'orders' })).toBe('/srv/shop');
    // One process per service (the bench, the chaos run, containers): these open no embedded database.
    expect(lockOf({ SERVICES: 'router' })).toBeUndefined();
    expect(lockOf({ SERVICES: 'payment-provider' })).toBeUndefined();
    expect(lockOf({ SERVICES: 'orders', DATABASE_URL: 'postgres://shop@db:5432/shop' })).toBeUndefined();
  });
});
