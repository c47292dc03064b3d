import { type HelpRequest, IntakeServiceService } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { runService } from '@nuanyang/service-kit';
import { KeyedAggregateStore } from '@nuanyang/store';
import { loadIntakeConfig } from './config';
import { followMatching, followVerification } from './consumers';
import { intakeHandlers } from './handlers';
import { HelpRequests } from './help-requests';

runService({
  name: 'intake',
  loadConfig: loadIntakeConfig,
  streams: ['intake', 'verification', 'matching'],
  setup: ({ mongo, bus, log }) => {
    const store = new KeyedAggregateStore<HelpRequest>(mongo, {
      name: 'help_request',
      bus,
      log,
      projectionIndexes: [
        { 'state.priorityScore': -1, 'state.receivedAt': 1 },
        { 'state.status': 1, 'state.priorityScore': -1 },
        { 'state.location.district': 1, 'state.receivedAt': -1 },
        { 'state.requester.phone': 1 },
        { 'state.submittingOrganisationId': 1, 'state.receivedAt': -1 },
      ],
    });
    const requests = new HelpRequests(store);
    return {
      stores: [store],
      consume: async () => {
        await followVerification(bus, requests);
        await followMatching(bus, requests);
      },
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
