import { VerificationServiceService } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { runService } from '@nuanyang/service-kit';
import { JetStreamStore } from '@nuanyang/store';
import { loadVerificationConfig } from './config';
import { consume } from './consumers';
import type { TaskState } from './domain/tasks';
import { verificationHandlers } from './handlers';
import { TaskViews } from './read-model';
import { VerificationTasks } from './tasks';

runService({
  name: 'verification',
  loadConfig: loadVerificationConfig,
  streams: ['intake', 'verification'],
  setup: ({ config, mongo, bus, log }) => {
    const store = new JetStreamStore<TaskState>(bus, {
      service: 'verification',
      aggregate: 'verification_task',
    });
    const views = new TaskViews(mongo, bus, store, log);
    const tasks = new VerificationTasks(store, views, {
      claimTtlMs: config.CLAIM_TTL_MS,
      maxCallAttempts: config.MAX_CALL_ATTEMPTS,
    });
    return {
      projections: [views.projection],
      consume: () => consume(bus, tasks),
      services: [
        {
          name: 'nuanyang.verification.v1.VerificationService',
          protoFile: 'nuanyang/verification/v1/verification.proto',
          definition: VerificationServiceService,
          implementation: verificationHandlers(tasks, log),
        },
      ],
    };
  },
});
