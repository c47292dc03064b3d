import { randomUUID } from 'node:crypto';
import { type Bus, SUBJECTS } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import { SummaryUpdated } from '@nuanyang/proto/nuanyang/reporting/v1/events';
import { ANY } from './domain/rows';
import { summarise } from './domain/summary';
import type { ReadModel } from './read-model';

/**
 * SummaryUpdated: after applying new facts (every replica applies every fact, from the relay), a replica
 * publishes its unfiltered summary, at most once per interval, for dashboards and other services.
 */
export function startSummaryUpdates(
  bus: Bus,
  model: ReadModel,
  opts: { publishIntervalMs: number },
  log: Logger,
): () => Promise<void> {
  const replica = randomUUID();
  const prefix = `reporting-summary:${replica}:`;
  let seq = 0;
  let stopped = false;
  let lastPublished = 0;
  let timer: NodeJS.Timeout | undefined;
  let publishing: Promise<unknown> = Promise.resolve();

  const publish = async () => {
    timer = undefined;
    lastPublished = Date.now();
    seq += 1;
    const event = SummaryUpdated.fromPartial({
      meta: { eventId: `${prefix}${seq}`, occurredAt: new Date(), aggregateId: 'summary' },
      summary: summarise(model.figures, ANY, Date.now()),
    });
    try {
      await bus.publish(
        SUBJECTS.reporting.summaryUpdated,
        SummaryUpdated.encode(event).finish(),
        event.meta?.eventId ?? '',
      );
    } catch (err) {
      log.warn({ err }, 'could not publish SummaryUpdated');
    }
  };
  /** Called when this replica applied new facts: one publish per interval at most, trailing. */
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(
      () => {
        publishing = publish();
      },
      Math.max(0, lastPublished + opts.publishIntervalMs - Date.now()),
    );
  };
  model.on('changed', schedule);

  return async () => {
    stopped = true;
    model.off('changed', schedule);
    if (timer) {
      clearTimeout(timer);
      publishing = publish();
    }
    await publishing;
  };
}
