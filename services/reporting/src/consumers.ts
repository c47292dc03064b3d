import type { Bus, Producer } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import { CONSUMED, factOf } from './domain/facts';
import { durableName, type ReadModel } from './read-model';

/**
 * Reporting's consumers: every counted event of every stream, one durable per stream shared by the
 * replicas; a new read-model generation's durables replay from the start.
 */
export async function consume(bus: Bus, model: ReadModel, generation: number, log: Logger): Promise<void> {
  for (const [from, subjects] of Object.entries(CONSUMED) as [Producer, string[]][]) {
    await bus.consume({
      from,
      durable: durableName(generation, from),
      subjects,
      handler: async (m) => {
        const fact = factOf(m.subject, m.data);
        if (!fact) {
          log.warn({ subject: m.subject, eventId: m.eventId }, 'event without id or time: not counted');
          return;
        }
        await model.record(fact, m.deliveryCount > 1);
      },
    });
  }
}
