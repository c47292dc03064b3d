import type { Logger } from '@nuanyang/logger';

/** Periodic work of a service (a sweeper): started once its stores are ready, stopped before NATS closes. */
export interface BackgroundJob {
  name: string;
  /** Starts the work; returns the function that stops it and waits for the pass in hand. */
  start: () => () => Promise<void>;
}

/**
 * The one loop every service's periodic work runs in: a pass right away (unless `startAfterInterval`), then
 * the next `intervalMs` after each pass ends, so passes never overlap in one process. A failed pass is logged
 * and the next one tries again. Replicas each run their own loop; passes must be idempotent.
 */
export function every(
  name: string,
  intervalMs: number,
  pass: () => Promise<void>,
  log: Logger,
  opts: { startAfterInterval?: boolean } = {},
): BackgroundJob {
  return {
    name,
    start: () => {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> = Promise.resolve();
      const run = () => {
        running = pass()
          .catch((err) => log.warn({ err, job: name }, `${name}: pass failed; the next one retries`))
          .finally(() => {
            if (!stopped) timer = setTimeout(run, intervalMs);
          });
      };
      if (opts.startAfterInterval) timer = setTimeout(run, intervalMs);
      else run();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      };
    },
  };
}
