import * as intake from '@nuanyang/proto/nuanyang/intake/v1/intake';
import type { ServiceRoutes } from './route';

export const intakeRoutes: ServiceRoutes = {
  service: 'intake',
  protoPackage: 'nuanyang.intake.v1',
  codecs: intake,
  tag: 'help requests',
  routes: [
    {
      method: 'POST',
      url: '/help-requests',
      rpc: 'CreateHelpRequest',
      summary: 'Submit a help request',
      description:
        'Idempotent by idempotencyKey per organisation: a retry returns the first result (200, replayed).',
      roles: ['partner', 'operator'],
      required: ['idempotencyKey', 'requester', 'location', 'needs', 'urgency', 'channel'],
      creates: true,
    },
    {
      method: 'GET',
      url: '/help-requests',
      rpc: 'ListHelpRequests',
      summary: 'List help requests, highest priority first',
      description: 'Filters combine with AND; repeat `statuses` for several.',
      roles: ['operator', 'verifier', 'viewer', 'partner', 'supplier'],
    },
    {
      method: 'GET',
      url: '/help-requests/:id',
      rpc: 'GetHelpRequest',
      summary: 'Get a help request',
      description: 'Personal data is redacted except for operators and verifiers.',
      roles: ['operator', 'verifier', 'viewer', 'partner', 'supplier'],
    },
    {
      method: 'POST',
      url: '/help-requests/:id/cancel',
      rpc: 'CancelHelpRequest',
      summary: 'Cancel a help request',
      roles: ['operator', 'partner'],
      required: ['reason'],
    },
  ],
};
