import { issueToken } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { createClient } from '@nuanyang/grpc-kit';
import { HelpRequestCancelled } from '@nuanyang/proto/nuanyang/intake/v1/events';
import { IntakeServiceClient } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { MatchAccepted } from '@nuanyang/proto/nuanyang/matching/v1/events';
import {
  type FunctionalGroup,
  type Organisation,
  type Volunteer,
  VolunteerServiceService,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import { runService } from '@nuanyang/service-kit';
import { KeyedAggregateStore } from '@nuanyang/store';
import { loadVolunteerConfig } from './config';
import type { TaskState } from './domain/tasks';
import { volunteerHandlers } from './handlers';
import { Registry } from './registry';
import { startTaskSweeper } from './sweeper';
import { Tasks } from './tasks';

runService({
  name: 'volunteer',
  loadConfig: loadVolunteerConfig,
  streams: ['intake', 'matching', 'volunteer'],
  setup: ({ config, mongo, bus, log }) => {
    const organisations = new KeyedAggregateStore<Organisation>(mongo, { name: 'organisation', bus, log });
    const groups = new KeyedAggregateStore<FunctionalGroup>(mongo, { name: 'functional_group', bus, log });
    const volunteers = new KeyedAggregateStore<Volunteer>(mongo, { name: 'volunteer', bus, log });
    const taskStore = new KeyedAggregateStore<TaskState>(mongo, {
      name: 'delivery_task',
      bus,
      log,
      projectionIndexes: [
        { 'state.task.status': 1 },
        { 'state.holderId': 1 },
        { 'state.hours.volunteerId': 1 },
        { 'state.task.helpRequestId': 1 },
      ],
    });
    // Volunteer reads requesters' contact and address from intake for the platform: a token of its own with
    // the operator role, as matching calls inventory.
    const token = issueToken(
      { subject: 'svc-volunteer', organisationId: 'nuanyang-platform', roles: ['operator'] },
      config.JWT_SECRET,
    );
    const intake = createClient(IntakeServiceClient, config.INTAKE_ADDRESS, { token, deadlineMs: 10_000 });
    const registry = new Registry(organisations, groups, volunteers);
    const tasks = new Tasks(
      taskStore,
      registry,
      intake,
      { offerTtlMs: config.OFFER_TTL_MS, deliveryDueMs: config.DELIVERY_DUE_MS },
      log,
    );
    registry.workload = (ids) => tasks.workload(ids);
    registry.onVolunteerChanged = () => tasks.offerPending();
    return {
      stores: [organisations, groups, volunteers, taskStore],
      background: [
        { name: 'task sweeper', start: () => startTaskSweeper(tasks, log, config.SWEEP_INTERVAL_MS) },
      ],
      consume: async () => {
        await bus.consume({
          from: 'matching',
          durable: 'volunteer-accepted',
          subjects: [SUBJECTS.matching.accepted],
          handler: async (m) => tasks.onAccepted(MatchAccepted.decode(m.data), m.eventId),
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
      },
      services: [
        {
          name: 'nuanyang.volunteer.v1.VolunteerService',
          protoFile: 'nuanyang/volunteer/v1/volunteer.proto',
          definition: VolunteerServiceService,
          implementation: volunteerHandlers(registry, tasks, log),
        },
      ],
    };
  },
});
