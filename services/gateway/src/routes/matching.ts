import * as matching from '@nuanyang/proto/nuanyang/matching/v1/matching';
import type { ServiceRoutes } from './route';

const READERS = ['operator', 'supplier', 'partner', 'viewer'] as const;
const DECIDERS = ['supplier', 'operator'] as const;

export const matchingRoutes: ServiceRoutes = {
  service: 'matching',
  protoPackage: 'nuanyang.matching.v1',
  codecs: matching,
  tag: 'matching',
  routes: [
    {
      method: 'GET',
      url: '/match-proposals',
      rpc: 'ListProposals',
      summary: 'List match proposals, newest first',
      description: "Suppliers see only their own organisation's proposals.",
      roles: READERS,
    },
    {
      method: 'GET',
      url: '/match-proposals/:id',
      rpc: 'GetProposal',
      summary: 'Get a match proposal',
      roles: READERS,
    },
    {
      method: 'POST',
      url: '/match-proposals',
      rpc: 'ProposeManualMatch',
      summary: 'Match a need by hand',
      description: 'One proposal per supplying organisation; idempotent by idempotencyKey.',
      roles: ['operator'],
      required: ['idempotencyKey', 'helpRequestId', 'needId', 'lines'],
      creates: true,
    },
    {
      method: 'POST',
      url: '/match-proposals/:id/accept',
      rpc: 'AcceptProposal',
      summary: 'Accept a proposal (commits the stock)',
      roles: DECIDERS,
    },
    {
      method: 'POST',
      url: '/match-proposals/:id/reject',
      rpc: 'RejectProposal',
      summary: 'Reject a proposal (releases the stock, plans again)',
      roles: DECIDERS,
      required: ['reason'],
    },
    {
      method: 'GET',
      url: '/open-needs',
      rpc: 'ListOpenNeeds',
      summary: 'Needs not fully covered yet (the match board), most urgent first',
      roles: READERS,
    },
    {
      method: 'POST',
      url: '/batch-plans',
      rpc: 'RunBatchPlan',
      summary: 'Re-plan all open needs against all free stock',
      description: 'With dryRun nothing changes. 409 (ABORTED) while another plan runs: retry later.',
      roles: ['operator'],
    },
  ],
};
