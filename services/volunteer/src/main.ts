import { issueToken } from '@nuanyang/auth';
import { createClient } from '@nuanyang/grpc-kit';
import { IntakeServiceClient } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import {
  type FunctionalGroup,
  type Organisation,
  type Volunteer,
  VolunteerServiceService,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import { every, runService } from '@nuanyang/service-kit';
import { JetStreamStore } from '@nuanyang/store';
import { loadVolunteerConfig } from './config';
import { consume } from './consumers';
import type { TaskState } from './domain/tasks';
import { volunteerHandlers } from './handlers';
import { RegistryViews, TaskViews } from './read-model';
import { Registry } from './registry';
import { Tasks } from './tasks';

runService({
  name: 'volunteer',
  loadConfig: loadVolunteerConfig,
  streams: ['intake', 'matching', 'volunteer'],
  setup: ({ config, mongo, bus, log }) => {
    const stores = {
      organisations: new JetStreamStore<Organisation>(bus, {
        service: 'volunteer',
        aggregate: 'organisation',
      }),
      groups: new JetStreamStore<FunctionalGroup>(bus, {
        service: 'volunteer',
        aggregate: 'functional_group',
      }),
      volunteers: new JetStreamStore<Volunteer>(bus, { service: 'volunteer', aggregate: 'volunteer' }),
    };
    const taskStore = new JetStreamStore<TaskState>(bus, {
      service: 'volunteer',
      aggregate: 'delivery_task',
    });
    const registryViews = new RegistryViews(mongo, bus, stores, log);
    const taskViews = new TaskViews(mongo, bus, taskStore, log);
    // Volunteer reads requesters' contact and address from intake for the platform: a token of its own with
    // the operator role, as matching calls inventory.
    const token = issueToken(
      { subject: 'svc-volunteer', organisationId: 'nuanyang-platform', roles: ['operator'] },
      config.JWT_SECRET,
    );
    const intake = createClient(IntakeServiceClient, config.INTAKE_ADDRESS, { token, deadlineMs: 10_000 });
    const registry = new Registry(stores, registryViews);
    const tasks = new Tasks(
      taskStore,
      taskViews,
      registry,
      intake,
      { offerTtlMs: config.OFFER_TTL_MS, deliveryDueMs: config.DELIVERY_DUE_MS },
      log,
    );
    registry.workload = (ids) => tasks.workload(ids);
    registry.onVolunteerChanged = (volunteer) => tasks.offerPending([volunteer]);
    return {
      projections: [...registryViews.projections, taskViews.projection],
      background: [
        // Lapsed offers and overdue deliveries time out and pending tasks are offered again (every replica
        // sweeps; each step re-checks the task's version, so overlapping replicas append once).
        every(
          'task sweeper',
          config.SWEEP_INTERVAL_MS,
          async () => {
            const timedOut = await tasks.sweep();
            if (timedOut > 0) log.info({ timedOut }, 'task sweeper timed out offers or deliveries');
          },
          log,
          { startAfterInterval: true },
        ),
      ],
      consume: () => consume(bus, tasks, registry),
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
