/** A nats-server of the test's own, on a spare port, that the test may stop and restart. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isReachable, waitFor } from './wait.js';

export const NATS_SERVER_BIN = process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';
export const natsServerAvailable = existsSync(NATS_SERVER_BIN);

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` distinct TCP ports nobody listens on right now, on 127.0.0.1. Each is held until all are
 * chosen: calling freePort() in turn can give the same port twice, since each is let go before the
 * next is asked for.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => {
              const address = server.address();
              if (typeof address === 'object' && address) resolve(address.port);
              else reject(new Error('no port'));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => (server.listening ? server.close(resolve) : resolve(undefined)))));
  }
}

/** Linux: every task of the process is in state T (stopped). */
async function allThreadsStopped(pid: number): Promise<boolean> {
  const tasks = await readdir(`/proc/${pid}/task`);
  for (const task of tasks) {
    const stat = await readFile(`/proc/${pid}/task/${task}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state !== 'T' && state !== 't') return false;
  }
  return true;
}

export interface PrivateNats {
  url: string;
  /** Starts the server (again) on the same port, with `storeDir` (default: the same data dir as before). */
  start(storeDir?: string): Promise<void>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGSTOP, then waits until every thread is stopped: the server hangs with its connections open. */
  pause(): Promise<void>;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the server and removes its data dirs. */
  dispose(): Promise<void>;
  newStoreDir(): Promise<string>;
  output(): string;
}

export async function createPrivateNats(): Promise<PrivateNats> {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const dirs = [await mkdtemp(join(tmpdir(), 'events-nats-'))];
  let storeDir = dirs[0]!;
  let child: ChildProcess | undefined;
  let log = '';

  async function stop(): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
    child = undefined;
  }

  return {
    url,
    async start(dir?: string) {
      if (dir) storeDir = dir;
      const started = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      started.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      await waitFor(`nats-server on port ${port} to accept connections`, async () => {
        if (started.exitCode !== null) throw new Error(`nats-server exited with ${started.exitCode}:\n${log}`);
        return isReachable(url, 500);
      });
    },
    stop,
    async pause() {
      const running = child;
      if (!running?.pid) throw new Error('nats-server is not running');
      running.kill('SIGSTOP');
      // The signal takes effect asynchronously; a request sent right after could still be answered.
      await waitFor('nats-server to be stopped by SIGSTOP', () => allThreadsStopped(running.pid!));
    },
    resume: () => child?.kill('SIGCONT'),
    async dispose() {
      child?.kill('SIGCONT');
      await stop();
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
    async newStoreDir() {
      const dir = await mkdtemp(join(tmpdir(), 'events-nats-'));
      dirs.push(dir);
      return dir;
    },
    output: () => log,
  };
}
