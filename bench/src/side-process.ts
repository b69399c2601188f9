/**
 * A bench process of its own beside the cluster (Hive Gateway, the byte-copying hop): a TypeScript file of
 * bench/src run with tsx, its output in a log file, stopped with SIGTERM (SIGKILL after 10 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SideProcess {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `main` (a path) with `env` added, and resolves once `isReady` answers true (60 s at most). */
export async function startSideProcess(options: {
  /** What it is, for errors: "Hive Gateway". */
  name: string;
  main: string;
  env: Record<string, string>;
  /** Where its output goes. */
  logFile: string;
  /** Whether it serves yet; a throw counts as not yet. */
  isReady: () => Promise<boolean>;
}): Promise<SideProcess> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--conditions=@shop/source', '--import', 'tsx', options.main], {
    cwd: REPO_ROOT,
    stdio: ['ignore', log, log],
    env: { ...process.env, NODE_ENV: 'production', ...options.env },
  });
  closeSync(log);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} while starting; see ${options.logFile}`);
    if (await options.isReady().catch(() => false)) return { child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} did not answer within 60 s; see ${options.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
