import type { Logger } from '@nuanyang/logger';
import type { Tasks } from './tasks';

/**
 * The task sweeper: every `intervalMs` (the next pass is scheduled when one ends, so passes never overlap in
 * one process) it times out lapsed offers and overdue deliveries and offers pending tasks again. Every
 * replica runs one; each step re-checks the task's latest version, so overlapping replicas append once.
 */
export function startTaskSweeper(tasks: Tasks, log: Logger, intervalMs: number): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = () => {
    if (!stopped) timer = setTimeout(run, intervalMs);
  };
  const run = () => {
    running = tasks
      .sweep()
      .then((timedOut) => {
        if (timedOut > 0) log.info({ timedOut }, 'task sweeper timed out offers or deliveries');
      })
      .catch((err) => log.warn({ err }, 'task sweeper pass failed; will retry'))
      .finally(schedule);
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
