import type { Logger } from '@nuanyang/logger';
import type { Acceptance } from './acceptance';
import type { Planning } from './planning';

/**
 * One pass of the recovery sweep: finishes the reservations and supplier decisions a crash left between
 * their steps, in the cases the read model marks as having one under way. Those younger than `resumeAfterMs`
 * are left to the call still making them; replicas may overlap, every step being idempotent.
 */
export function recoveryPass(
  planning: Planning,
  acceptance: Acceptance,
  casesUnderWay: () => Promise<string[]>,
  resumeAfterMs: number,
  log: Logger,
): () => Promise<void> {
  return async () => {
    const before = new Date(Date.now() - resumeAfterMs);
    let finished = 0;
    for (const id of await casesUnderWay()) {
      finished += (await planning.resume(id, before)) + (await acceptance.resume(id, before));
    }
    if (finished > 0) log.info({ finished }, 'recovery sweep finished steps a crash left');
  };
}
