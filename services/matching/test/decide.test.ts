import { SUBJECTS } from '@nuanyang/bus';
import { ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Coverage,
  HelpRequestCoverageChanged,
  MatchAccepted,
} from '@nuanyang/proto/nuanyang/matching/v1/events';
import { ProposalStatus, UnmatchedReason } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import type { EventMeta } from '@nuanyang/store';
import type { MatchCase, PendingDecision, ProposalMove } from '../src/domain/cases';
import { type Command, decide, isFinal, isRejection, type Outcome, openCase } from '../src/domain/decide';
import { draft, now } from './fakes';

const S = ProposalStatus;

const need = (needId: string, amount: number) =>
  Need.fromPartial({
    needId,
    category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
    itemName: '方便面',
    quantity: { amount, unit: 'box' },
  });

const opened = (): MatchCase =>
  openCase(
    HelpRequestVerified.fromPartial({
      helpRequestId: 'hr-1',
      submittingOrganisationId: 'org-hub',
      urgency: Urgency.URGENCY_HIGH,
      priorityScore: 10,
      location: { district: 'huyi', community: '龙窝村', address: '3号楼' },
      correctedNeeds: [need('n1', 40)],
    }),
    now,
  ).state;

/** Applies commands that must each change the case. */
function given(...commands: Command[]): MatchCase {
  let c = opened();
  for (const command of commands) {
    const o = decide(c, command, now);
    if (o === null || isRejection(o)) throw new Error(`given ${command.kind} did not apply`);
    c = o.state;
  }
  return c;
}

const propose = (id: string, quantity: number, supplier?: string): Command => ({
  kind: 'propose',
  draft: draft(id, 'n1', quantity, supplier),
});
const begin = (proposalId: string, action: PendingDecision['action']): Command => ({
  kind: 'begin',
  decision: { proposalId, action, by: 'u-1', organisationId: 'org-a', note: 'ok' },
});
const settle = (proposalId: string, to: ProposalMove): Command => ({
  kind: 'settle',
  proposalId,
  to,
  by: 'u-1',
  reason: 'ok',
});

const by = { organisationId: 'nuanyang-platform', userId: 'matching' };
const meta: EventMeta = {
  eventId: 'e',
  occurredAt: now,
  aggregateId: 'hr-1',
  aggregateVersion: 2,
  actorOrganisationId: '',
  actorUserId: '',
};
const subjects = (o: Outcome) => (o && !isRejection(o) ? o.events.map((e) => e.subject) : []);
const statusOf = (o: Outcome, id: string) =>
  o && !isRejection(o) ? o.state.proposals.find((p) => p.id === id)?.status : undefined;

const M = SUBJECTS.matching;

describe('decide(state, command, now)', () => {
  // given the commands so far, when one more comes, then these events, this status, or this refusal
  const table: {
    name: string;
    given: Command[];
    when: Command;
    events?: string[];
    status?: [string, ProposalStatus];
    nothing?: true;
    rejected?: RegExp;
  }[] = [
    {
      name: 'a reservation under way, recorded first',
      given: [],
      when: { kind: 'reserve', draft: draft('p1', 'n1', 30), by },
      events: [],
    },
    {
      name: 'a reservation beyond what is open',
      given: [propose('p1', 30)],
      when: { kind: 'reserve', draft: draft('p2', 'n1', 11), by },
      nothing: true,
    },
    {
      name: 'the reserved proposal recorded',
      given: [{ kind: 'reserve', draft: draft('p1', 'n1', 30), by }],
      when: propose('p1', 30),
      events: [M.proposed],
    },
    {
      name: 'a reserved proposal whose need was covered meanwhile: only the reservation is forgotten',
      given: [{ kind: 'reserve', draft: draft('p1', 'n1', 30), by }, propose('p2', 40)],
      when: propose('p1', 30),
      events: [],
    },
    {
      name: 'a refused reservation forgotten',
      given: [{ kind: 'reserve', draft: draft('p1', 'n1', 30), by }],
      when: { kind: 'unreserve', proposalId: 'p1' },
      events: [],
    },
    { name: 'a proposal within what is open', given: [], when: propose('p1', 30), events: [M.proposed] },
    {
      name: 'a proposal beyond what is open',
      given: [propose('p1', 30)],
      when: propose('p2', 11),
      nothing: true,
    },
    {
      name: 'an acceptance, recorded first',
      given: [propose('p1', 40)],
      when: begin('p1', 'accept'),
      events: [],
      status: ['p1', S.PROPOSAL_STATUS_PROPOSED],
    },
    {
      name: 'the same acceptance again',
      given: [propose('p1', 40), begin('p1', 'accept')],
      when: begin('p1', 'accept'),
      nothing: true,
    },
    {
      name: 'a rejection while an acceptance is under way',
      given: [propose('p1', 40), begin('p1', 'accept')],
      when: begin('p1', 'reject'),
      rejected: /being accepted/,
    },
    {
      name: 'the acceptance settled: the request is matched',
      given: [propose('p1', 40), begin('p1', 'accept')],
      when: settle('p1', S.PROPOSAL_STATUS_ACCEPTED),
      events: [M.accepted, M.coverageChanged],
      status: ['p1', S.PROPOSAL_STATUS_ACCEPTED],
    },
    {
      name: 'an acceptance of an accepted proposal',
      given: [propose('p1', 40), begin('p1', 'accept'), settle('p1', S.PROPOSAL_STATUS_ACCEPTED)],
      when: begin('p1', 'accept'),
      nothing: true,
    },
    {
      name: 'a rejection of an accepted proposal',
      given: [propose('p1', 40), settle('p1', S.PROPOSAL_STATUS_ACCEPTED)],
      when: begin('p1', 'reject'),
      rejected: /is ACCEPTED/,
    },
    {
      name: 'a rejection settled: only its event, the need open again',
      given: [propose('p1', 40), begin('p1', 'reject')],
      when: settle('p1', S.PROPOSAL_STATUS_REJECTED),
      events: [M.rejected],
    },
    {
      name: 'a decision on an unknown proposal',
      given: [],
      when: begin('p9', 'accept'),
      rejected: /not part of help request hr-1/,
    },
    {
      name: 'a late expiry of an accepted proposal',
      given: [propose('p1', 40), settle('p1', S.PROPOSAL_STATUS_ACCEPTED)],
      when: {
        kind: 'settle',
        proposalId: 'p1',
        to: S.PROPOSAL_STATUS_EXPIRED,
        by: 'inv',
        reason: '',
        onlyIfProposed: true,
      },
      nothing: true,
    },
    {
      name: 'a delivery of an accepted proposal: fulfilled',
      given: [propose('p1', 40), settle('p1', S.PROPOSAL_STATUS_ACCEPTED)],
      when: settle('p1', S.PROPOSAL_STATUS_FULFILLED),
      events: [M.fulfilled, M.coverageChanged],
      status: ['p1', S.PROPOSAL_STATUS_FULFILLED],
    },
    {
      name: 'a delivery of a proposal nobody accepted',
      given: [propose('p1', 40)],
      when: settle('p1', S.PROPOSAL_STATUS_FULFILLED),
      rejected: /is PROPOSED/,
    },
    {
      name: 'a cancellation withdraws what it released',
      given: [propose('p1', 20), propose('p2', 20)],
      when: { kind: 'cancel', reason: 'gone', withdraw: ['p1', 'p2'] },
      events: [],
      status: ['p2', S.PROPOSAL_STATUS_WITHDRAWN],
    },
    {
      name: 'a cancellation leaves an acceptance under way',
      given: [propose('p1', 40), begin('p1', 'accept')],
      when: { kind: 'cancel', reason: 'gone', withdraw: ['p1'] },
      status: ['p1', S.PROPOSAL_STATUS_PROPOSED],
    },
    {
      name: 'a cancellation of a closed case',
      given: [{ kind: 'cancel', reason: 'gone', withdraw: [] }],
      when: { kind: 'cancel', reason: 'gone', withdraw: [] },
      nothing: true,
    },
    {
      name: 'a need left open for want of stock',
      given: [],
      when: { kind: 'unmatched', reasons: new Map([['n1', UnmatchedReason.UNMATCHED_REASON_NO_STOCK]]) },
      events: [M.unmatched],
    },
    {
      name: 'the same reason again',
      given: [{ kind: 'unmatched', reasons: new Map([['n1', UnmatchedReason.UNMATCHED_REASON_NO_STOCK]]) }],
      when: { kind: 'unmatched', reasons: new Map([['n1', UnmatchedReason.UNMATCHED_REASON_NO_STOCK]]) },
      nothing: true,
    },
  ];

  it.each(table)('$name', (t) => {
    const outcome = decide(given(...t.given), t.when, now);
    if (t.rejected) {
      expect(outcome && isRejection(outcome) ? outcome.rejected : 'applied').toMatch(t.rejected);
      return;
    }
    if (t.nothing) {
      expect(outcome).toBeNull();
      return;
    }
    expect(outcome).not.toBeNull();
    if (t.events) expect(subjects(outcome)).toEqual(t.events);
    if (t.status) expect(statusOf(outcome, t.status[0])).toBe(t.status[1]);
  });

  it('settles the pending decision with the move, and stamps the event with the store meta', () => {
    const o = decide(
      given(propose('p1', 40), begin('p1', 'accept')),
      settle('p1', S.PROPOSAL_STATUS_ACCEPTED),
      now,
    );
    if (!o || isRejection(o)) throw new Error('not applied');
    expect(o.state.pending).toEqual([]);
    const [accepted, covered] = o.events;
    expect(MatchAccepted.decode(accepted!.encode(meta))).toMatchObject({
      meta,
      proposal: { id: 'p1', version: 2 },
    });
    expect(HelpRequestCoverageChanged.decode(covered!.encode(meta))).toMatchObject({
      helpRequestId: 'hr-1',
      coverage: Coverage.COVERAGE_MATCHED,
      needsCovered: 1,
      needsTotal: 1,
    });
  });

  it('opens a case without the address, and calls it final only when no work is left', () => {
    const c = opened();
    expect(c.location?.address).toBe('');
    expect(isFinal(c)).toBe(false);
    const proposed = given(propose('p1', 40));
    expect(isFinal(proposed)).toBe(false);
    expect(isFinal(given(propose('p1', 40), settle('p1', S.PROPOSAL_STATUS_ACCEPTED)))).toBe(false);
    expect(
      isFinal(
        given(
          propose('p1', 40),
          settle('p1', S.PROPOSAL_STATUS_ACCEPTED),
          settle('p1', S.PROPOSAL_STATUS_FULFILLED),
        ),
      ),
    ).toBe(true);
    expect(isFinal(given({ kind: 'cancel', reason: 'gone', withdraw: [] }))).toBe(true);
    const reserving = given({ kind: 'reserve', draft: draft('p1', 'n1', 40), by });
    expect(reserving.reserving).toHaveLength(1);
    expect(isFinal({ ...reserving, open: false })).toBe(false);
    const recorded = decide(reserving, propose('p1', 40), now);
    expect(recorded && !isRejection(recorded) && recorded.state.reserving).toEqual([]);
    expect(
      isFinal(given(propose('p1', 40), begin('p1', 'accept'), { kind: 'cancel', reason: 'x', withdraw: [] })),
    ).toBe(false);
  });
});
