import type { Logger } from '@shop/observability';

export interface PeriodicTask {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs` in the background (sweepers, reconcilers,
 * retention). Runs never overlap: a slow one delays the next. A failure is
 * logged and the next run tries again.
 */
export function runPeriodically(task: () => Promise<unknown>, options: { intervalMs: number; logger: Logger; name: string }): PeriodicTask {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(task).catch((error: unknown) => options.logger.error({ err: error }, `${options.name} failed`));
  }, options.intervalMs);
  // Background work never keeps the process alive on its own.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
