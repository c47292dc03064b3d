import type { Logger } from '@nuanyang/logger';
import type { Reservations } from './reservations';

/**
 * Runs the reservation sweeper on an interval until stopped, one pass at a time: reservations past their
 * expiry lapse, and those a crash left half done are finished. Every replica runs one; passes that overlap
 * across replicas are harmless because every step is idempotent.
 */
export function startSweeper(
  reservations: Reservations,
  log: Logger,
  intervalMs: number,
): () => Promise<void> {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      const { expired, finished } = await reservations.sweep();
      if (expired + finished > 0) log.info({ expired, finished }, 'reservation sweeper pass');
    } catch (err) {
      log.warn({ err }, 'reservation sweeper pass failed; will retry');
    }
  };
  const timer = setInterval(() => {
    if (!stopped) current = current.then(pass);
  }, intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await current;
  };
}
