import { SUBJECTS } from '@nuanyang/bus';
import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import {
  HelpRequestCoverageChanged,
  MatchAccepted,
  MatchFulfilled,
  MatchProposed,
  MatchRejected,
  NeedUnmatched,
} from '@nuanyang/proto/nuanyang/matching/v1/events';
import {
  type MatchProposal,
  ProposalStatus,
  UnmatchedReason,
} from '@nuanyang/proto/nuanyang/matching/v1/matching';
import type { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import type { Decision, EventDraft } from '@nuanyang/store';
import {
  addProposal,
  coverage,
  type MatchCase,
  markUnmatched,
  moveProposal,
  type PendingDecision,
  type ProposalDraft,
  type ProposalMove,
  type Reserving,
  remaining,
  withDerived,
} from './cases';

/** What may happen to a match case. */
export type Command =
  /** Record that a proposal's stock is about to be reserved (nothing when the need has no room for it). */
  | { kind: 'reserve'; draft: ProposalDraft; by: Reserving['by'] }
  /** The reservation was refused: forget it. */
  | { kind: 'unreserve'; proposalId: string }
  /**
   * Record a proposal whose stock is reserved; when the need was covered meanwhile only its reservation is
   * forgotten (the caller releases the stock).
   */
  | { kind: 'propose'; draft: ProposalDraft }
  /** Record a supplier's decision before inventory is told; settled by the matching `settle`. */
  | { kind: 'begin'; decision: Omit<PendingDecision, 'since'> }
  /** Move a proposal; `onlyIfProposed` turns a move of a decided proposal into nothing (late events). */
  | {
      kind: 'settle';
      proposalId: string;
      to: ProposalMove;
      by: string;
      reason: string;
      onlyIfProposed?: boolean;
    }
  /** The request was cancelled: close the case and withdraw these proposals (their stock released). */
  | { kind: 'cancel'; reason: string; withdraw: string[] }
  /** Why the planner left needs (partly) open. */
  | { kind: 'unmatched'; reasons: Map<string, UnmatchedReason> };

/** A command the case's state does not allow: FAILED_PRECONDITION with this message. */
export interface Rejection {
  rejected: string;
}

/** The change a command makes, null when it changes nothing (a repeat, or nothing left to do), or why not. */
export type Outcome = Decision<MatchCase> | Rejection | null;

export const isRejection = (o: Outcome): o is Rejection => o !== null && 'rejected' in o;

/** A verified request opens its case: every corrected need open, no proposal yet. */
export function openCase(e: HelpRequestVerified, now: Date): Decision<MatchCase> {
  const state = withDerived({
    helpRequestId: e.helpRequestId,
    submittingOrganisationId: e.submittingOrganisationId,
    urgency: e.urgency,
    priorityScore: e.priorityScore,
    location: e.location && { ...e.location, address: '' },
    receivedAt: e.receivedAt,
    verifiedAt: e.meta?.occurredAt ?? now,
    needs: e.correctedNeeds.map((need) => ({
      need,
      unmatchedReason: UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED,
      declinedBy: [],
    })),
    proposals: [],
    open: true,
    openCategories: [],
    pending: [],
    reserving: [],
  });
  return { state, events: [] };
}

/**
 * Decides what a command does to a case: the next state (derived fields up to date) and the events it
 * announces, with HelpRequestCoverageChanged whenever the request's coverage moved.
 */
export function decide(state: MatchCase, command: Command, now: Date): Outcome {
  const step = apply(state, command, now);
  if (step === null || 'rejected' in step) return step;
  const next = withDerived(step.next);
  const events = [...step.events(next)];
  const after = coverage(next);
  if (after !== coverage(state)) {
    const covered = next.needs.filter((n) => remaining(next, n.need.needId) === 0).length;
    events.push({
      subject: SUBJECTS.matching.coverageChanged,
      encode: (meta) =>
        HelpRequestCoverageChanged.encode({
          meta,
          helpRequestId: next.helpRequestId,
          coverage: after,
          needsCovered: covered,
          needsTotal: next.needs.length,
        }).finish(),
    });
  }
  return { state: next, events };
}

type Step = { next: MatchCase; events: (next: MatchCase) => EventDraft[] } | Rejection | null;

function apply(c: MatchCase, command: Command, now: Date): Step {
  switch (command.kind) {
    case 'reserve': {
      if (c.reserving.some((r) => r.draft.id === command.draft.id)) return null;
      if (!addProposal(c, command.draft, now)) return null;
      const reserving = { draft: command.draft, by: command.by, since: now };
      return { next: { ...c, reserving: [...c.reserving, reserving] }, events: () => [] };
    }
    case 'unreserve': {
      const reserving = c.reserving.filter((r) => r.draft.id !== command.proposalId);
      return reserving.length === c.reserving.length ? null : { next: { ...c, reserving }, events: () => [] };
    }
    case 'propose': {
      const id = command.draft.id;
      const reserving = c.reserving.filter((r) => r.draft.id !== id);
      const next = addProposal({ ...c, reserving }, command.draft, now);
      if (!next)
        return reserving.length === c.reserving.length
          ? null
          : { next: { ...c, reserving }, events: () => [] };
      return { next, events: (n) => [proposed(proposalIn(n, id))] };
    }
    case 'begin':
      return begin(c, command.decision, now);
    case 'settle': {
      const p = c.proposals.find((x) => x.id === command.proposalId);
      if (command.onlyIfProposed && p?.status !== ProposalStatus.PROPOSAL_STATUS_PROPOSED) return null;
      const moved = refusing(() =>
        moveProposal(c, command.proposalId, command.to, command.by, command.reason, now),
      );
      if (moved === null || 'rejected' in moved) return moved;
      return { next: moved, events: (n) => announce(proposalIn(n, command.proposalId), command.reason) };
    }
    case 'cancel': {
      const withdrawn = withdrawable(c).filter((p) => command.withdraw.includes(p.id));
      if (!c.open && withdrawn.length === 0) return null;
      let next: MatchCase = { ...c, open: false };
      for (const p of withdrawn) {
        next =
          moveProposal(
            next,
            p.id,
            ProposalStatus.PROPOSAL_STATUS_WITHDRAWN,
            'matching',
            command.reason,
            now,
          ) ?? next;
      }
      return { next, events: () => [] };
    }
    case 'unmatched': {
      const next = markUnmatched(c, command.reasons);
      if (!next) return null;
      const marked = next.needs.filter(
        (n, i) =>
          n.unmatchedReason !== UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED &&
          n.unmatchedReason !== c.needs[i]?.unmatchedReason,
      );
      return {
        next,
        events: (n) =>
          marked.map((line) => ({
            subject: SUBJECTS.matching.unmatched,
            encode: (meta) =>
              NeedUnmatched.encode({
                meta,
                helpRequestId: n.helpRequestId,
                needId: line.need.needId,
                category: line.need.category,
                remainingQuantity: remaining(n, line.need.needId),
                reason: line.unmatchedReason,
                detail: '',
              }).finish(),
          })),
      };
    }
  }
}

/**
 * What a cancellation withdraws: proposals still only proposed. One whose acceptance is under way keeps its
 * course (its stock may be committed already).
 */
export function withdrawable(c: MatchCase): MatchProposal[] {
  const accepting = new Set(c.pending.filter((d) => d.action === 'accept').map((d) => d.proposalId));
  return c.proposals.filter(
    (p) => p.status === ProposalStatus.PROPOSAL_STATUS_PROPOSED && !accepting.has(p.id),
  );
}

const WILL: Record<PendingDecision['action'], ProposalStatus> = {
  accept: ProposalStatus.PROPOSAL_STATUS_ACCEPTED,
  reject: ProposalStatus.PROPOSAL_STATUS_REJECTED,
};

/**
 * Records a decision on a PROPOSED proposal before inventory hears of it. The same decision again (a retry,
 * or the sweep) is nothing new; a proposal already in the decided status is nothing to do; another decision
 * while one is under way, or a proposal past PROPOSED, is refused.
 */
function begin(c: MatchCase, d: Omit<PendingDecision, 'since'>, now: Date): Step {
  const p = c.proposals.find((x) => x.id === d.proposalId);
  if (!p) return { rejected: `proposal ${d.proposalId} is not part of help request ${c.helpRequestId}` };
  const under = c.pending.find((x) => x.proposalId === d.proposalId);
  if (under) {
    return under.action === d.action ? null : { rejected: `proposal ${p.id} is being ${under.action}ed` };
  }
  if (p.status === WILL[d.action]) return null;
  if (p.status !== ProposalStatus.PROPOSAL_STATUS_PROPOSED) {
    return { rejected: `proposal ${p.id} is ${statusName(p.status)}` };
  }
  return { next: { ...c, pending: [...c.pending, { ...d, since: now }] }, events: () => [] };
}

function refusing(move: () => MatchCase | null): MatchCase | Rejection | null {
  try {
    return move();
  } catch (err) {
    if (err instanceof FailedPreconditionError) return { rejected: err.message };
    throw err;
  }
}

function proposalIn(c: MatchCase, id: string): MatchProposal {
  const p = c.proposals.find((x) => x.id === id);
  if (!p) throw new Error(`proposal ${id} vanished from its case`);
  return p;
}

const proposed = (proposal: MatchProposal): EventDraft => ({
  subject: SUBJECTS.matching.proposed,
  encode: (meta) => MatchProposed.encode({ meta, proposal }).finish(),
});

/** The event a settled proposal announces: expiry and withdrawal announce none. */
function announce(p: MatchProposal, reason: string): EventDraft[] {
  switch (p.status) {
    case ProposalStatus.PROPOSAL_STATUS_ACCEPTED:
      return [
        {
          subject: SUBJECTS.matching.accepted,
          encode: (meta) => MatchAccepted.encode({ meta, proposal: p }).finish(),
        },
      ];
    case ProposalStatus.PROPOSAL_STATUS_REJECTED:
      return [
        {
          subject: SUBJECTS.matching.rejected,
          encode: (meta) => MatchRejected.encode({ meta, proposal: p, reason }).finish(),
        },
      ];
    case ProposalStatus.PROPOSAL_STATUS_FULFILLED:
      return [
        {
          subject: SUBJECTS.matching.fulfilled,
          encode: (meta) => MatchFulfilled.encode({ meta, proposal: p }).finish(),
        },
      ];
    default:
      return [];
  }
}

export const statusName = (s: ProposalStatus) => ProposalStatus[s].replace('PROPOSAL_STATUS_', '');

/** Whether a case holds no work any more: nothing open, nothing awaiting a decision or a delivery. */
export function isFinal(c: MatchCase): boolean {
  const working = new Set([ProposalStatus.PROPOSAL_STATUS_PROPOSED, ProposalStatus.PROPOSAL_STATUS_ACCEPTED]);
  return (
    c.pending.length === 0 &&
    c.reserving.length === 0 &&
    !c.proposals.some((p) => working.has(p.status)) &&
    !(c.open && c.needs.some((n) => remaining(c, n.need.needId) > 0))
  );
}
