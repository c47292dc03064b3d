import { randomUUID } from 'node:crypto';
import { type Bus, SUBJECTS } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import { SummaryUpdated } from '@nuanyang/proto/nuanyang/reporting/v1/events';
import { ANY, summarise } from './domain/figures';
import type { ReadModel } from './read-model';

/**
 * SummaryUpdated between replicas. Replicas share the durable consumers, so each stores only some of the
 * facts: after learning of new ones (stored or reloaded), a replica publishes its unfiltered summary (at most
 * once per interval), and every replica listens on a plain NATS subscription of its own (not a shared
 * durable) and reloads the facts when another replica published, which wakes its StreamSummary clients.
 */
export function startSummaryUpdates(
  bus: Bus,
  model: ReadModel,
  opts: { publishIntervalMs: number; reloadIntervalMs: number },
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
      summary: summarise(model.view(), ANY, Date.now()),
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
  /**
   * Called when this replica knows new facts, its own or reloaded: one publish per interval at most, trailing.
   * A reload that adds nothing publishes nothing, so two replicas do not echo each other forever.
   */
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

  const subscription = bus.connection.subscribe(SUBJECTS.reporting.summaryUpdated, {
    callback: (err, msg) => {
      if (err || stopped) return;
      const id = msg.headers?.get('Nats-Msg-Id') ?? '';
      if (id.startsWith(prefix)) return;
      model.reload().catch((e) => log.warn({ err: e }, 'reloading facts failed'));
    },
  });
  const periodic = setInterval(() => {
    model.reload().catch((e) => log.warn({ err: e }, 'reloading facts failed'));
  }, opts.reloadIntervalMs);

  return async () => {
    stopped = true;
    model.off('changed', schedule);
    clearInterval(periodic);
    if (timer) {
      clearTimeout(timer);
      publishing = publish();
    }
    subscription.unsubscribe();
    await publishing;
  };
}
