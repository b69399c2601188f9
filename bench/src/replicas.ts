/**
 * `BENCH_SCENARIOS=replicas`: the checkout of ./checkout-processes.ts at the
 * same load with one process of each service, then with two of each subgraph
 * and of the router (./cluster.ts `replicas`), in one run: confirmed orders per
 * second, p50/p99 time to CONFIRMED, and the CPU of every process. On a machine
 * with fewer cores than processes the second figure says what replicas cost
 * more than what they add; docs/scaling.md reads it.
 */
import os from 'node:os';
import { runCheckoutProcesses, type ProcessesCheckoutResults } from './checkout-processes.js';

export interface ReplicasResults {
  cores: number;
  /** The machine's load average when the run started (other programs share the cores). */
  loadAverageAtStart: number[];
  runs: { replicas: number; results: ProcessesCheckoutResults }[];
}

export async function runReplicasComparison(options: {
  durationSeconds: number;
  databaseUrl: string;
  natsUrl: string;
  /** Concurrent customers (default 50). */
  levels?: readonly number[];
  /** Replica counts compared (default 1 and 2). */
  replicaCounts?: readonly number[];
}): Promise<ReplicasResults> {
  const cores = os.availableParallelism();
  const loadAverageAtStart = os.loadavg().map((load) => Number(load.toFixed(2)));
  const runs: ReplicasResults['runs'] = [];
  for (const replicas of options.replicaCounts ?? [1, 2]) {
    console.error(`replicas: ${replicas} of each subgraph and of the router…`);
    const results = await runCheckoutProcesses({ durationSeconds: options.durationSeconds, databaseUrl: options.databaseUrl, natsUrl: options.natsUrl, levels: options.levels ?? [50], replicas });
    runs.push({ replicas, results });
  }
  const rows = runs.flatMap(({ replicas, results }) =>
    results.levels.map((level) => {
      const processes = Object.entries(level.cpuMsByProcess).map(([name, ms]) => `${name} ${Math.round(ms / level.measuredSeconds)}`);
      const shared = `Postgres ${Math.round(level.cpuMs.postgres / level.measuredSeconds)}, NATS ${Math.round(level.cpuMs.nats / level.measuredSeconds)}, driver ${Math.round(level.driverCpuMs / level.measuredSeconds)}`;
      return `| ${replicas} | ${level.concurrency} | ${level.confirmedPerSecond} | ${level.timeToConfirmedP50Ms} | ${level.timeToConfirmedP99Ms} | ${level.cpuMsPerConfirmed.total} | ${processes.join(', ')}; ${shared} | ${level.machineBusyPercent ?? '—'} |`;
    }),
  );
  console.log(
    [
      `\nReplicas on this machine (${cores} cores; load average at start ${loadAverageAtStart.join(', ')}): the same checkout with one and with more processes of each subgraph and of the router.`,
      'CPU per process is ms of CPU per second of the level (1000 = one core busy); "driver" is the load generator and the subgraph balancers, this process.',
      '',
      '| replicas | customers | confirmed/s | to CONFIRMED p50 ms | p99 ms | CPU ms/confirmed | CPU ms/s by process | machine busy % |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
  return { cores, loadAverageAtStart, runs };
}
