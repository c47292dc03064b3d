import { type Bus, SUBJECTS } from '@nuanyang/bus';
import type { EventMeta } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestCancelled } from '@nuanyang/proto/nuanyang/intake/v1/events';
import { MatchAccepted } from '@nuanyang/proto/nuanyang/matching/v1/events';
import { VolunteerHoursRecorded } from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import type { Registry } from './registry';
import type { Tasks } from './tasks';

/** An event's identity is the id in its payload (the same in a copy); the message id header is the fallback. */
const eventIdOf = (e: { meta?: EventMeta | undefined }, header: string) => e.meta?.eventId || header;

/** Every event volunteer follows: accepted matches, cancelled requests, and its own recorded hours. */
export async function consume(bus: Bus, tasks: Tasks, registry: Registry): Promise<void> {
  await bus.consume({
    from: 'matching',
    durable: 'volunteer-accepted',
    subjects: [SUBJECTS.matching.accepted],
    handler: async (m) => {
      const e = MatchAccepted.decode(m.data);
      await tasks.onAccepted(e, eventIdOf(e, m.eventId));
    },
  });
  await bus.consume({
    from: 'intake',
    durable: 'volunteer-cancelled',
    subjects: [SUBJECTS.intake.cancelled],
    handler: async (m) => {
      const e = HelpRequestCancelled.decode(m.data);
      await tasks.onRequestCancelled(e.helpRequestId, e.reason);
    },
  });
  // A volunteer's total is kept on their record, so reading it never sums their history of tasks.
  await bus.consume({
    from: 'volunteer',
    durable: 'volunteer-hours',
    subjects: [SUBJECTS.volunteer.hoursRecorded],
    handler: async (m) => {
      const e = VolunteerHoursRecorded.decode(m.data);
      const seconds = Number(e.duration?.seconds ?? 0) + (e.duration?.nanos ?? 0) / 1e9;
      await registry.addHours(e.volunteerId, e.taskId, seconds / 3600);
    },
  });
}
