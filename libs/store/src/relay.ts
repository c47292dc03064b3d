import type { Logger } from '@nuanyang/logger';
import type { AggregateStore } from './aggregate-store';

/**
 * Runs the outbox relay of every store on an interval until stopped. Appends publish their own events
 * straight away; this catches what a crash or a NATS outage left behind.
 */
export function startRelay(
  stores: AggregateStore<object>[],
  log: Logger,
  intervalMs = 1_000,
): () => Promise<void> {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const tick = async () => {
    for (const store of stores) {
      try {
        const n = await store.publishPending();
        if (n > 0) log.info({ published: n }, 'outbox relay published left-over changes');
      } catch (err) {
        log.warn({ err }, 'outbox relay pass failed; will retry');
      }
    }
  };
  const timer = setInterval(() => {
    if (!stopped) current = current.then(tick);
  }, intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await current;
    await Promise.all(stores.map((s) => s.flush()));
  };
}
