import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import type { Allocation, PlanLot, PlanNeed } from '@nuanyang/planner';
import { type Location, type Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { Coverage } from '@nuanyang/proto/nuanyang/matching/v1/events';
import {
  type MatchLine,
  type MatchProposal,
  type OpenNeed,
  type ProposalOrigin,
  ProposalStatus,
  UnmatchedReason,
} from '@nuanyang/proto/nuanyang/matching/v1/matching';

/** One need of a verified request, as matching tracks it. */
export interface NeedLine {
  need: Need;
  unmatchedReason: UnmatchedReason;
  /** Organisations that declined this need: their lots are not proposed for it again. */
  declinedBy: string[];
}

/**
 * Everything matching knows about one verified help request: its needs and every proposal made for them.
 * One aggregate, so that planning two proposals for one need can never cover it twice: each proposal is
 * recorded by an append that re-reads what is still open.
 */
export interface MatchCase {
  helpRequestId: string;
  submittingOrganisationId: string;
  urgency: Urgency;
  priorityScore: number;
  /** District, community and coarse coordinates; never an address. */
  location: Location | undefined;
  receivedAt: Date | undefined;
  verifiedAt: Date;
  needs: NeedLine[];
  proposals: MatchProposal[];
  /** False once the request was cancelled. */
  open: boolean;
  /** Categories of the needs still open: what new stock of a category wakes up (derived, for queries). */
  openCategories: number[];
  /**
   * Decisions on proposals recorded before inventory was told (commit or release) and not yet settled: what
   * a crash between the two steps leaves for the sweep to finish (see acceptance.ts).
   */
  pending: PendingDecision[];
  /**
   * Proposals whose stock is being reserved: recorded before inventory is asked, so a crash between the
   * reservation and the proposal leaves what to finish (planning.ts) instead of stock held for nobody.
   */
  reserving: Reserving[];
}

/** A proposal being reserved, who asked (its events carry them) and since when. */
export interface Reserving {
  draft: ProposalDraft;
  by: { organisationId: string; userId: string };
  since: Date;
}

/** A supplier's decision whose inventory step may not have happened yet. */
export interface PendingDecision {
  proposalId: string;
  action: 'accept' | 'reject';
  /** Who decided (JWT subject and organisation): the settled decision and its event carry them. */
  by: string;
  organisationId: string;
  /** The acceptance note or the rejection reason. */
  note: string;
  since: Date;
}

/** The case with its derived fields brought up to date. */
export function withDerived(c: MatchCase): MatchCase {
  return {
    ...c,
    pending: c.pending ?? [],
    reserving: c.reserving ?? [],
    openCategories: [...new Set(openNeeds(c).map((n) => n.need.category))].sort((a, b) => a - b),
  };
}

/** Proposals that hold or have delivered stock for a need. */
const LIVE = new Set([
  ProposalStatus.PROPOSAL_STATUS_PROPOSED,
  ProposalStatus.PROPOSAL_STATUS_ACCEPTED,
  ProposalStatus.PROPOSAL_STATUS_FULFILLED,
]);

/** Units of a need not yet covered by a live proposal. */
export function remaining(c: MatchCase, needId: string): number {
  const line = c.needs.find((n) => n.need.needId === needId);
  if (!line) return 0;
  const covered = c.proposals
    .filter((p) => p.needId === needId && LIVE.has(p.status))
    .reduce((sum, p) => sum + p.proposedQuantity, 0);
  return Math.max(0, (line.need.quantity?.amount ?? 0) - covered);
}

export function openNeeds(c: MatchCase): NeedLine[] {
  return c.open ? c.needs.filter((n) => remaining(c, n.need.needId) > 0) : [];
}

/** Units still to cover and accepted so far, per the contract's coverage levels (accepted proposals count). */
export function coverage(c: MatchCase): Coverage {
  const accepted = (needId: string, statuses: ProposalStatus[]) =>
    c.proposals
      .filter((p) => p.needId === needId && statuses.includes(p.status))
      .reduce((s, p) => s + p.proposedQuantity, 0);
  const need = (n: NeedLine) => n.need.quantity?.amount ?? 0;
  const done = [ProposalStatus.PROPOSAL_STATUS_FULFILLED];
  const agreed = [ProposalStatus.PROPOSAL_STATUS_ACCEPTED, ...done];
  if (c.needs.every((n) => accepted(n.need.needId, done) >= need(n))) return Coverage.COVERAGE_FULFILLED;
  if (c.needs.every((n) => accepted(n.need.needId, agreed) >= need(n))) return Coverage.COVERAGE_MATCHED;
  if (c.needs.some((n) => accepted(n.need.needId, agreed) > 0)) return Coverage.COVERAGE_PARTIALLY_MATCHED;
  return Coverage.COVERAGE_UNMATCHED;
}

const URGENCY_WEIGHT: Record<Urgency, number> = {
  [Urgency.URGENCY_UNSPECIFIED]: 1,
  [Urgency.URGENCY_LOW]: 1,
  [Urgency.URGENCY_MEDIUM]: 2,
  [Urgency.URGENCY_HIGH]: 4,
  [Urgency.URGENCY_CRITICAL]: 8,
};

/** The planner's view of a need: weight from intake's priority score, falling back on urgency. */
export function toPlanNeed(c: MatchCase, line: NeedLine): PlanNeed {
  return {
    id: `${c.helpRequestId}/${line.need.needId}`,
    category: line.need.category,
    unit: line.need.quantity?.unit ?? '',
    quantity: remaining(c, line.need.needId),
    weight: c.priorityScore > 0 ? c.priorityScore : URGENCY_WEIGHT[c.urgency],
    place: {
      district: c.location?.district ?? '',
      community: c.location?.community ?? '',
      coordinates: c.location?.coordinates,
    },
    receivedAt: new Date(c.receivedAt ?? c.verifiedAt).getTime(),
  };
}

/** What the planner needs to know of a lot, plus what a proposal line shows of it. */
export interface FreeLot extends PlanLot {
  /** The lot's ledger version: of two views of a lot, the higher is the newer. */
  version: number;
  line: Omit<MatchLine, 'quantity'>;
}

/**
 * Inventory's list of lots overlaid with newer views of some (from its StockChanged events, which its list
 * follows a moment behind): the lots with units available.
 */
export function freshest(listed: FreeLot[], newer: FreeLot[]): FreeLot[] {
  const lots = new Map(listed.map((l) => [l.id, l]));
  for (const l of newer) if ((lots.get(l.id)?.version ?? 0) < l.version) lots.set(l.id, l);
  return [...lots.values()].filter((l) => l.available > 0);
}

/** Splits one need's allocations by supplying organisation: one proposal each. */
export function groupBySupplier(
  allocations: Allocation[],
  lots: Map<string, FreeLot>,
): Map<string, MatchLine[]> {
  const groups = new Map<string, MatchLine[]>();
  for (const a of allocations) {
    const lot = lots.get(a.lotId);
    if (!lot) continue;
    const lines = groups.get(lot.supplierId) ?? [];
    lines.push({ ...lot.line, quantity: a.quantity });
    groups.set(lot.supplierId, lines);
  }
  return groups;
}

export interface ProposalDraft {
  id: string;
  needId: string;
  supplierOrganisationId: string;
  lines: MatchLine[];
  origin: ProposalOrigin;
  distanceKm: number;
  score: number;
  proposedBy: string;
  note: string;
  decideBy: Date;
}

/**
 * Records a proposal whose stock is already reserved, if the need still has that much open; returns null
 * when another plan covered it meanwhile (the caller then releases the reservation).
 */
export function addProposal(c: MatchCase, d: ProposalDraft, now: Date): MatchCase | null {
  if (!c.open) return null;
  const line = c.needs.find((n) => n.need.needId === d.needId);
  const quantity = d.lines.reduce((s, l) => s + l.quantity, 0);
  if (!line || quantity <= 0 || quantity > remaining(c, d.needId)) return null;
  const proposal: MatchProposal = {
    id: d.id,
    version: 1,
    helpRequestId: c.helpRequestId,
    needId: d.needId,
    category: line.need.category,
    needItemName: line.need.itemName,
    requested: line.need.quantity,
    supplierOrganisationId: d.supplierOrganisationId,
    lines: d.lines,
    proposedQuantity: quantity,
    remainingQuantity: remaining(c, d.needId) - quantity,
    reservationId: d.id,
    status: ProposalStatus.PROPOSAL_STATUS_PROPOSED,
    origin: d.origin,
    urgency: c.urgency,
    dropoffLocation: c.location,
    distanceKm: d.distanceKm,
    score: d.score,
    proposedBy: d.proposedBy,
    decidedBy: '',
    statusReason: '',
    note: d.note,
    createdAt: now,
    decideBy: d.decideBy,
    decidedAt: undefined,
    fulfilledAt: undefined,
  };
  return {
    ...c,
    proposals: [...c.proposals, proposal],
    needs: c.needs.map((n) =>
      n === line ? { ...n, unmatchedReason: UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED } : n,
    ),
  };
}

export function findProposal(c: MatchCase, id: string): MatchProposal {
  const p = c.proposals.find((x) => x.id === id);
  if (!p) throw new FailedPreconditionError(`proposal ${id} is not part of help request ${c.helpRequestId}`);
  return p;
}

/** The statuses a proposal may be moved to. */
export type ProposalMove =
  | ProposalStatus.PROPOSAL_STATUS_ACCEPTED
  | ProposalStatus.PROPOSAL_STATUS_REJECTED
  | ProposalStatus.PROPOSAL_STATUS_EXPIRED
  | ProposalStatus.PROPOSAL_STATUS_WITHDRAWN
  | ProposalStatus.PROPOSAL_STATUS_FULFILLED;

/**
 * Moves a PROPOSED proposal on, or an ACCEPTED one to FULFILLED (its goods were delivered); the same move
 * again is a no-op (null), any other move is refused. A pending decision on the proposal is settled by it.
 */
export function moveProposal(
  c: MatchCase,
  id: string,
  to: ProposalMove,
  by: string,
  reason: string,
  now: Date,
): MatchCase | null {
  const p = findProposal(c, id);
  if (p.status === to) return null;
  const fulfilled = to === ProposalStatus.PROPOSAL_STATUS_FULFILLED;
  const from = fulfilled ? ProposalStatus.PROPOSAL_STATUS_ACCEPTED : ProposalStatus.PROPOSAL_STATUS_PROPOSED;
  if (p.status !== from) {
    throw new FailedPreconditionError(
      `proposal ${id} is ${ProposalStatus[p.status].replace('PROPOSAL_STATUS_', '')}`,
    );
  }
  // Fulfilment keeps who decided and when; it only adds when the goods arrived.
  const decided: MatchProposal = fulfilled
    ? { ...p, version: p.version + 1, status: to, fulfilledAt: now }
    : { ...p, version: p.version + 1, status: to, decidedBy: by, decidedAt: now, statusReason: reason };
  const needs =
    to === ProposalStatus.PROPOSAL_STATUS_REJECTED
      ? c.needs.map((n) =>
          n.need.needId === p.needId && !n.declinedBy.includes(p.supplierOrganisationId)
            ? { ...n, declinedBy: [...n.declinedBy, p.supplierOrganisationId] }
            : n,
        )
      : c.needs;
  return {
    ...c,
    needs,
    proposals: c.proposals.map((x) => (x.id === id ? decided : x)),
    pending: c.pending.filter((d) => d.proposalId !== id),
  };
}

/** Marks needs the planner could not (fully) cover, with why; returns null when nothing changed. */
export function markUnmatched(c: MatchCase, reasons: Map<string, UnmatchedReason>): MatchCase | null {
  let changed = false;
  const needs = c.needs.map((n) => {
    const reason =
      remaining(c, n.need.needId) > 0
        ? (reasons.get(n.need.needId) ?? n.unmatchedReason)
        : UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED;
    if (reason === n.unmatchedReason) return n;
    changed = true;
    return { ...n, unmatchedReason: reason };
  });
  return changed ? { ...c, needs } : null;
}

/** The match board's row for an open need. */
export function toOpenNeed(c: MatchCase, line: NeedLine): OpenNeed {
  return {
    helpRequestId: c.helpRequestId,
    need: line.need,
    urgency: c.urgency,
    location: c.location,
    remainingQuantity: remaining(c, line.need.needId),
    unmatchedReason: line.unmatchedReason,
    receivedAt: c.receivedAt,
    verifiedAt: c.verifiedAt,
    priorityScore: c.priorityScore,
  };
}

/**
 * Proposal ids carry their request's id, so a proposal is found through its case. The suffix is random: a
 * plan that crashed after reserving stock leaves a reservation no later plan reuses; inventory expires it.
 */
export const proposalId = (helpRequestId: string, suffix: string) => `mp-${helpRequestId}-${suffix}`;
export function caseIdOfProposal(id: string): string | null {
  return /^mp-(.+)-[0-9a-f]{8}$/.exec(id)?.[1] ?? null;
}
