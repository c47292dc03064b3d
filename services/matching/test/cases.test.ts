import { ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { Coverage } from '@nuanyang/proto/nuanyang/matching/v1/events';
import { ProposalStatus, UnmatchedReason } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import {
  addProposal,
  caseIdOfProposal,
  coverage,
  type MatchCase,
  markUnmatched,
  moveProposal,
  openNeeds,
  type ProposalDraft,
  proposalId,
  remaining,
  toPlanNeed,
  withDerived,
} from '../src/domain/cases';
import { draft, now } from './fakes';

const need = (needId: string, amount: number, category = ItemCategory.ITEM_CATEGORY_INSTANT_FOOD) =>
  Need.fromPartial({ needId, category, itemName: '方便面', quantity: { amount, unit: 'box' } });

const base = (): MatchCase =>
  withDerived({
    helpRequestId: 'hr-1',
    submittingOrganisationId: 'org-hub',
    urgency: Urgency.URGENCY_HIGH,
    priorityScore: 52.5,
    location: { district: 'huyi', community: '龙窝村', address: '', coordinates: undefined },
    receivedAt: new Date('2021-12-28T17:51:00+08:00'),
    verifiedAt: now,
    needs: [
      { need: need('n1', 40), unmatchedReason: UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED, declinedBy: [] },
      {
        need: need('n2', 5, ItemCategory.ITEM_CATEGORY_MEDICINE),
        unmatchedReason: UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED,
        declinedBy: [],
      },
    ],
    proposals: [],
    reserving: [],
    open: true,
    openCategories: [],
    pending: [],
  });

const propose = (c: MatchCase, d: ProposalDraft) => {
  const next = addProposal(c, d, now);
  if (!next) throw new Error(`refused ${d.id}`);
  return withDerived(next);
};

describe('a match case', () => {
  it('starts with every need open and derives its open categories', () => {
    const c = base();
    expect(remaining(c, 'n1')).toBe(40);
    expect(openNeeds(c)).toHaveLength(2);
    expect(c.openCategories).toEqual([
      ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
      ItemCategory.ITEM_CATEGORY_MEDICINE,
    ]);
    expect(coverage(c)).toBe(Coverage.COVERAGE_UNMATCHED);
  });

  it('records proposals up to what is open and never beyond', () => {
    let c = propose(base(), draft('p1', 'n1', 30));
    expect(remaining(c, 'n1')).toBe(10);
    expect(c.proposals[0]).toMatchObject({
      proposedQuantity: 30,
      remainingQuantity: 10,
      reservationId: 'p1',
      status: ProposalStatus.PROPOSAL_STATUS_PROPOSED,
    });
    expect(addProposal(c, draft('p2', 'n1', 11), now)).toBeNull();
    expect(addProposal(c, draft('p2', 'nope', 1), now)).toBeNull();
    expect(addProposal(c, draft('p2', 'n1', 0), now)).toBeNull();
    expect(addProposal({ ...c, open: false }, draft('p2', 'n1', 1), now)).toBeNull();
    c = propose(c, draft('p2', 'n1', 10, 'org-b'));
    expect(remaining(c, 'n1')).toBe(0);
    expect(c.openCategories).toEqual([ItemCategory.ITEM_CATEGORY_MEDICINE]);
  });

  it('counts only accepted proposals for coverage, fulfilled ones for fulfilment', () => {
    let c = propose(base(), draft('p1', 'n1', 40));
    c = propose(c, draft('p2', 'n2', 5));
    expect(coverage(c)).toBe(Coverage.COVERAGE_UNMATCHED);
    c = moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_ACCEPTED, 'u', '', now)!;
    expect(coverage(c)).toBe(Coverage.COVERAGE_PARTIALLY_MATCHED);
    c = moveProposal(c, 'p2', ProposalStatus.PROPOSAL_STATUS_ACCEPTED, 'u', '', now)!;
    expect(coverage(c)).toBe(Coverage.COVERAGE_MATCHED);
    c = {
      ...c,
      proposals: c.proposals.map((p) => ({ ...p, status: ProposalStatus.PROPOSAL_STATUS_FULFILLED })),
    };
    expect(coverage(c)).toBe(Coverage.COVERAGE_FULFILLED);
  });

  it('reopens a need when its proposal is rejected, and remembers who declined', () => {
    let c = propose(base(), draft('p1', 'n1', 40, 'org-a'));
    c = withDerived(moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_REJECTED, 'u', 'no van', now)!);
    expect(remaining(c, 'n1')).toBe(40);
    expect(c.needs[0]?.declinedBy).toEqual(['org-a']);
    expect(c.proposals[0]).toMatchObject({
      status: ProposalStatus.PROPOSAL_STATUS_REJECTED,
      statusReason: 'no van',
      version: 2,
    });
  });

  it('treats the same decision again as nothing to do and refuses any other move', () => {
    let c = propose(base(), draft('p1', 'n1', 40));
    c = moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_ACCEPTED, 'u', '', now)!;
    expect(moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_ACCEPTED, 'u', '', now)).toBeNull();
    expect(() => moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_REJECTED, 'u', 'x', now)).toThrow(
      /is ACCEPTED/,
    );
    expect(() => moveProposal(c, 'missing', ProposalStatus.PROPOSAL_STATUS_ACCEPTED, 'u', '', now)).toThrow(
      /not part/,
    );
  });

  it('fulfils only an accepted proposal, once, keeping who decided', () => {
    let c = propose(base(), draft('p1', 'n1', 40));
    c = propose(c, draft('p2', 'n2', 5));
    expect(() => moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_FULFILLED, 'v', '', now)).toThrow(
      /is PROPOSED/,
    );
    c = moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_ACCEPTED, 'supplier', 'ok', now)!;
    c = moveProposal(c, 'p2', ProposalStatus.PROPOSAL_STATUS_ACCEPTED, 'supplier', 'ok', now)!;
    const later = new Date(now.getTime() + 3600_000);
    c = moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_FULFILLED, 'volunteer', '', later)!;
    expect(c.proposals[0]).toMatchObject({
      status: ProposalStatus.PROPOSAL_STATUS_FULFILLED,
      decidedBy: 'supplier',
      decidedAt: now,
      fulfilledAt: later,
      version: 3,
    });
    expect(
      moveProposal(c, 'p1', ProposalStatus.PROPOSAL_STATUS_FULFILLED, 'volunteer', '', later),
    ).toBeNull();
    expect(remaining(c, 'n1')).toBe(0);
    expect(coverage(c)).toBe(Coverage.COVERAGE_MATCHED);
    c = moveProposal(c, 'p2', ProposalStatus.PROPOSAL_STATUS_FULFILLED, 'volunteer', '', later)!;
    expect(coverage(c)).toBe(Coverage.COVERAGE_FULFILLED);
  });

  it('marks only open needs unmatched, and reports no change when nothing changes', () => {
    const c = propose(base(), draft('p1', 'n1', 40));
    const reasons = new Map([
      ['n1', UnmatchedReason.UNMATCHED_REASON_NO_STOCK],
      ['n2', UnmatchedReason.UNMATCHED_REASON_NO_STOCK],
    ]);
    const marked = markUnmatched(c, reasons)!;
    expect(marked.needs.map((n) => n.unmatchedReason)).toEqual([
      UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED,
      UnmatchedReason.UNMATCHED_REASON_NO_STOCK,
    ]);
    expect(markUnmatched(marked, reasons)).toBeNull();
  });

  it('gives the planner the open quantity, the priority as weight and no address', () => {
    const c = propose(base(), draft('p1', 'n1', 15));
    expect(toPlanNeed(c, c.needs[0]!)).toMatchObject({
      id: 'hr-1/n1',
      quantity: 25,
      weight: 52.5,
      unit: 'box',
      place: { district: 'huyi', community: '龙窝村' },
    });
    expect(toPlanNeed({ ...c, priorityScore: 0 }, c.needs[0]!).weight).toBe(4);
  });

  it('finds the case of a proposal from its id', () => {
    expect(caseIdOfProposal(proposalId('hr-abc-def', '0a1b2c3d'))).toBe('hr-abc-def');
    expect(caseIdOfProposal('mp-hr-1-xyz')).toBeNull();
    expect(caseIdOfProposal('garbage')).toBeNull();
  });
});
