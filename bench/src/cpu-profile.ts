/**
 * A V8 CPU profile (`node --cpu-prof`) summarised as self time by package:
 * which dependency, which folder of this repository or which part of Node
 * the process spent its busy time in. Idle time is left out of the shares.
 * V8 samples wall-clock time: a thread that is runnable but waits for a core
 * counts as busy in the function it is in, so on an oversubscribed machine
 * "busy" exceeds the process's CPU time; the shares are what to read.
 */
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

export interface CpuProfile {
  /** Microseconds on the monotonic clock, as process.hrtime gives in any process of the machine. */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (or Node part, or repository folder) a function belongs to. */
export function packageOf(frame: ProfileNode['callFrame'], repoRoot: string): string {
  const { functionName, url } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)' || functionName === '(idle)' || functionName === '(root)') return functionName;
    return '(native code)';
  }
  if (url.startsWith('node:')) {
    const [first, second] = url.slice('node:'.length).split('/');
    return `node:${first === 'internal' && second !== undefined ? second.replace(/\.js$/, '') : first}`;
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules !== -1) {
    const [scope, name] = path.slice(inModules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : scope!;
  }
  if (path.startsWith(repoRoot)) {
    const [top, next] = path.slice(repoRoot.length).replace(/^\//, '').split('/');
    return ['packages', 'subgraphs', 'apps'].includes(top!) ? `${top}/${next}` : top!;
  }
  return path;
}

/** A time window on the monotonic clock, µs (`process.hrtime.bigint() / 1000n`). */
export interface Window {
  fromUs: number;
  toUs: number;
}

/**
 * Markdown tables of self time by package and by function, busiest first,
 * as shares of busy (non-idle) time; only samples inside `windows` count
 * when any are given (the load runs, not the start-up).
 */
export function summariseCpuProfile(profile: CpuProfile, repoRoot: string, windows: Window[] = [], rows = 20): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    at += profile.timeDeltas[index] ?? 0;
    if (windows.length > 0 && !windows.some((window) => at >= window.fromUs && at <= window.toUs)) continue;
    const node = byId.get(profile.samples[index]!);
    if (!node) continue;
    const name = packageOf(node.callFrame, repoRoot);
    if (name === '(idle)') continue;
    // The delta before the next sample is the time spent in this one.
    const us = profile.timeDeltas[index + 1] ?? 0;
    add(byPackage, name, us);
    add(byFunction, `${node.callFrame.functionName || '(anonymous)'} (${name})`, us);
  }
  let busy = 0;
  for (const us of byPackage.values()) busy += us;
  const table = (title: string, map: Map<string, number>) => [
    `| ${title} | self ms | share of busy |`,
    '| --- | ---: | ---: |',
    ...[...map].sort(([, a], [, b]) => b - a).slice(0, rows).map(([name, us]) => `| ${name} | ${(us / 1000).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} % |`),
  ];
  return [`busy ${(busy / 1000).toFixed(0)} ms`, '', ...table('package', byPackage), '', ...table('function', byFunction)].join('\n');
}
