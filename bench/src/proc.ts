/**
 * CPU time of processes, read from /proc (Linux). Used to attribute the CPU a
 * run costs to each process of the cluster, Postgres and nats-server.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const procAvailable = existsSync('/proc/self/stat');

export interface ProcStat {
  pid: number;
  ppid: number;
  /** user + system CPU of the process itself, ms. */
  cpuMs: number;
  /** user + system CPU of its children that exited and were waited for, ms. */
  childrenCpuMs: number;
  /** Start time since boot, in clock ticks: with the pid, identifies one process (pids are reused). */
  startTime: number;
  comm: string;
}

/** One process's CPU, or undefined when it is gone. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is parenthesised and may contain spaces or parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const rest = text.slice(close + 2).split(' ');
  const field = (n: number) => Number(rest[n - 3]);
  const toMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
  return {
    pid,
    ppid: field(4),
    cpuMs: toMs(field(14) + field(15)),
    childrenCpuMs: toMs(field(16) + field(17)),
    startTime: field(22),
    comm,
  };
}

/** Every live process on the machine (pids in /proc). */
async function allPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}

/**
 * CPU of a whole process tree rooted at `rootPid`: the root's own CPU, the CPU
 * of its exited children (kernel-accounted in cutime/cstime once reaped) and
 * that of its live descendants. Monotonic while the root lives.
 */
export async function treeCpuMs(rootPid: number): Promise<number | undefined> {
  const root = await readProcStat(rootPid);
  if (!root) return undefined;
  const stats = (await Promise.all((await allPids()).map((pid) => readProcStat(pid)))).filter((stat) => stat !== undefined);
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  let total = root.cpuMs + root.childrenCpuMs;
  const queue = [...(children.get(rootPid) ?? [])];
  while (queue.length > 0) {
    const next = queue.pop()!;
    // A live child's own time; its reaped children are in its childrenCpuMs.
    total += next.cpuMs + next.childrenCpuMs;
    queue.push(...(children.get(next.pid) ?? []));
  }
  return total;
}

/** Pids of processes with this command name (e.g. nats-server) whose command line satisfies `match`. */
export async function findProcesses(comm: string, match: (argv: string[]) => boolean): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await allPids()) {
    const stat = await readProcStat(pid);
    if (stat?.comm !== comm) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
    if (match(argv)) found.push(pid);
  }
  return found;
}

/** The nats-server listening on `port` on this machine (by its command line: `-p`/`--port`, 4222 when absent). */
export async function findNatsServer(port: number): Promise<number | undefined> {
  const pids = await findProcesses('nats-server', (argv) => {
    const index = argv.findIndex((arg) => arg === '-p' || arg === '--port');
    const given = index >= 0 ? Number(argv[index + 1]) : 4222;
    return given === port;
  });
  return pids[0];
}

/** CPU time the whole machine spent busy (all cores, everything but idle and iowait), ms: from /proc/stat. */
export async function machineBusyMs(): Promise<number | undefined> {
  const text = await readFile('/proc/stat', 'utf8').catch(() => undefined);
  const line = text?.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / CLOCK_TICKS;
}

/** Resident set size of a process, MB (VmRSS of /proc/<pid>/status). */
export async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
