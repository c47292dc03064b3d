import type { Logger } from '@nuanyang/logger';
import type { Acceptance } from './acceptance';
import type { Planning } from './planning';

/**
 * Finishes reservations and supplier decisions a crash left between their steps: at start and then on an
 * interval, one pass at a time. Those younger than `resumeAfterMs` are left to the call still making them;
 * replicas may overlap, every step being idempotent.
 */
export function startRecoverySweep(
  planning: Planning,
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
      for (const id of await pendingCases()) {
        finished += (await planning.resume(id, before)) + (await acceptance.resume(id, before));
      }
      if (finished > 0) log.info({ finished }, 'recovery sweep finished steps a crash left');
    } catch (err) {
      log.warn({ err }, 'recovery sweep pass failed; will retry');
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
