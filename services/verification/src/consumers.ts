import { type Bus, SUBJECTS } from '@nuanyang/bus';
import { HelpRequestReceived } from '@nuanyang/proto/nuanyang/intake/v1/events';
import type { VerificationTasks } from './tasks';

/** Verification's consumers: a call-back task for every received help request. */
export async function consume(bus: Bus, tasks: VerificationTasks): Promise<void> {
  await bus.consume({
    from: 'intake',
    durable: 'verification-intake-received',
    subjects: [SUBJECTS.intake.received],
    handler: async (m) => {
      const event = HelpRequestReceived.decode(m.data);
      if (event.helpRequest) await tasks.open(event.helpRequest);
    },
  });
}
