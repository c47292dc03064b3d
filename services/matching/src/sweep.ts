import type { Logger } from '@nuanyang/logger';
import type { Acceptance } from './acceptance';

/**
 * Finishes supplier decisions a crash left between their steps: at start and then on an interval, one pass
 * at a time. Decisions younger than `resumeAfterMs` are left to the call still making them; replicas may
 * overlap, every step being idempotent.
 */
export function startDecisionSweep(
  acceptance: Acceptance,
  pendingCases: () => Promise<string[]>,
  opts: { intervalMs: number; resumeAfterMs: number },
  log: Logger,
): () => Promise<void> {
  let stopped = false;
  const pass = async () => {
    try {
      const before = new Date(Date.now() - opts.resumeAfterMs);
      let finished = 0;
      for (const id of await pendingCases()) finished += await acceptance.resume(id, before);
      if (finished > 0) log.info({ finished }, 'decision sweep finished pending decisions');
    } catch (err) {
      log.warn({ err }, 'decision sweep pass failed; will retry');
    }
  };
  let current = pass();
  const timer = setInterval(() => {
    if (!stopped) current = current.then(pass);
  }, opts.intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await current;
  };
}
