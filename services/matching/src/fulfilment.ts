import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import { ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { type CaseStore, change } from './case-log';
import { caseIdOfProposal } from './domain/cases';
import type { Hold } from './hold';

/**
 * A volunteer delivered a proposal's goods. The delivery's steps span services through events: volunteer's
 * task is delivered (its event), matching fulfils the proposal (this append, with MatchFulfilled and the
 * request's coverage in one atomic change), intake follows the coverage. Each step is caused by the event
 * before it and acknowledged only after its append, so a crash redelivers the event and the cause makes the
 * second append nothing.
 */
export class Fulfilment {
  constructor(
    private readonly store: CaseStore,
    private readonly hold: Hold,
    private readonly log: Logger,
  ) {}

  /**
   * The proposal becomes FULFILLED, and the request's coverage FULFILLED once every need's accepted quantity
   * is delivered. A redelivery changes nothing; a proposal that is not ACCEPTED (withdrawn meanwhile) is
   * logged and left as it is.
   */
  async onDelivered(proposalId: string, volunteerId: string): Promise<void> {
    const caseId = caseIdOfProposal(proposalId);
    if (!caseId || !(await this.store.load(caseId))) {
      this.log.warn({ proposalId }, 'delivery for a proposal matching does not know');
      return;
    }
    try {
      await change(
        this.store,
        caseId,
        {
          kind: 'settle',
          proposalId,
          to: ProposalStatus.PROPOSAL_STATUS_FULFILLED,
          by: volunteerId,
          reason: '',
        },
        { causedBy: `delivered:${proposalId}`, actor: { organisationId: '', userId: volunteerId } },
      );
    } catch (err) {
      if (!(err instanceof FailedPreconditionError)) throw err;
      this.log.warn({ proposalId, err }, 'delivered goods of a proposal that is not accepted');
      return;
    }
    await this.hold('delivered.recorded');
  }
}
