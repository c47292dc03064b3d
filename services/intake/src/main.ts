import { type HelpRequest, IntakeServiceService } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { runService } from '@nuanyang/service-kit';
import { JetStreamStore } from '@nuanyang/store';
import { loadIntakeConfig } from './config';
import { consume } from './consumers';
import { DuplicateIndex } from './duplicate-index';
import { intakeHandlers } from './handlers';
import { HelpRequests } from './help-requests';
import { HelpRequestViews } from './read-model';

runService({
  name: 'intake',
  loadConfig: loadIntakeConfig,
  streams: ['intake', 'verification', 'matching'],
  setup: async ({ mongo, bus, log }) => {
    const store = new JetStreamStore<HelpRequest>(bus, { service: 'intake', aggregate: 'help_request' });
    const views = new HelpRequestViews(mongo, bus, store, log);
    const requests = new HelpRequests(store, await DuplicateIndex.open(bus), views);
    return {
      projections: [views.projection],
      consume: () => consume(bus, requests),
      services: [
        {
          name: 'nuanyang.intake.v1.IntakeService',
          protoFile: 'nuanyang/intake/v1/intake.proto',
          definition: IntakeServiceService,
          implementation: intakeHandlers(requests, log),
        },
      ],
    };
  },
});
