import type { Bus } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import { ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { type EventStore, Projection, type ReadDocument, readModel } from '@nuanyang/store';
import type { Connection, Model } from 'mongoose';
import { type MatchCase, openNeeds } from './domain/cases';
import { isFinal } from './domain/decide';

/** A match case as the queries read it: every filtered or sorted field at the top level. */
interface CaseDocument extends ReadDocument {
  hasOpenNeeds: boolean;
  openCategories: number[];
  district: string;
  priorityScore: number;
  verifiedAt: Date;
  submittingOrganisationId: string;
  supplierIds: string[];
  proposalStatuses: number[];
  /** When its latest proposal was made (the epoch without one): proposals list newest first. */
  lastProposedAt: Date;
  /** A reservation or a supplier's decision waits for its next step (the recovery sweep's work). */
  pending: boolean;
  state: MatchCase;
}

const BY_URGENCY = { priorityScore: -1, verifiedAt: 1, _id: 1 } as const;
const BY_RECENT = { lastProposedAt: -1, _id: 1 } as const;
const INDEXES = [
  { hasOpenNeeds: 1, ...BY_URGENCY },
  { openCategories: 1 },
  { supplierIds: 1 },
  BY_RECENT,
  { pending: 1 },
] as Record<string, 1 | -1>[];

export interface ProposalFilter {
  statuses: number[];
  supplierOrganisationId: string;
}

/**
 * The match cases' read model: cases with work left (open needs, proposals awaiting a decision or a
 * delivery, a decision under way) in `match_cases_live`, what the request path and the planner read;
 * finished cases in the insert-once `match_cases_closed`, read only when a list asks for final proposals
 * (the history path). A case's own proposals are read by key from the store, never from here.
 */
export class MatchCaseViews {
  readonly projection: Projection<MatchCase>;
  private readonly live: Model<ReadDocument>;
  private readonly closed: Model<ReadDocument>;

  constructor(connection: Connection, bus: Bus, store: EventStore<MatchCase>, log: Logger) {
    this.live = readModel(connection, 'match_cases_live', INDEXES);
    this.closed = readModel(connection, 'match_cases_closed', INDEXES);
    this.projection = new Projection<MatchCase>({
      bus,
      store,
      service: 'matching',
      aggregate: 'match_case',
      durable: 'matching-match-case-projector',
      live: this.live,
      archive: this.closed,
      document: ({ state }) => ({ fields: fieldsOf(state), final: isFinal(state) }),
      log,
    });
  }

  /**
   * Cases waiting for stock of these categories, most urgent first. Waits for the projector first: a case
   * verified a moment ago and planned without stock must not miss the stock that just arrived.
   */
  async waiting(categories: number[], limit: number): Promise<string[]> {
    await this.projection.caughtUp();
    const docs = await this.live
      .find({ hasOpenNeeds: true, openCategories: { $in: categories } }, { _id: 1 })
      .sort(BY_URGENCY)
      .limit(limit)
      .lean<{ _id: string }[]>();
    return docs.map((d) => d._id);
  }

  /** Every case with open needs, most urgent first (the batch plan). */
  async withOpenNeeds(): Promise<MatchCase[]> {
    return (await this.live.find({ hasOpenNeeds: true }).sort(BY_URGENCY).lean<CaseDocument[]>()).map(
      (d) => d.state,
    );
  }

  /** Open needs for the match board, most urgent first. */
  async openNeeds(filter: { category: number; district: string }): Promise<MatchCase[]> {
    const query: Record<string, unknown> = { hasOpenNeeds: true };
    if (filter.category) query.openCategories = filter.category;
    if (filter.district) query.district = filter.district;
    return (await this.live.find(query).sort(BY_URGENCY).lean<CaseDocument[]>()).map((d) => d.state);
  }

  /**
   * Cases holding proposals of these statuses and supplier: every live one, and when final statuses (or
   * all) are asked for, the `n` most recent closed ones.
   */
  async withProposals(filter: ProposalFilter, n: number): Promise<MatchCase[]> {
    const query: Record<string, unknown> = {};
    if (filter.statuses.length > 0) query.proposalStatuses = { $in: filter.statuses };
    if (filter.supplierOrganisationId) query.supplierIds = filter.supplierOrganisationId;
    const docs = await this.live.find(query).lean<CaseDocument[]>();
    const final = filter.statuses.length === 0 || filter.statuses.some((s) => !LIVE_STATUSES.has(s));
    if (final) docs.push(...(await this.closed.find(query).sort(BY_RECENT).limit(n).lean<CaseDocument[]>()));
    // A case archived by a projector that crashed before removing it from the live collection: once.
    return [...new Map(docs.map((d) => [d._id, d.state])).values()];
  }

  /** Cases with a reservation or a supplier's decision under way. */
  async withPending(): Promise<string[]> {
    const docs = await this.live.find({ pending: true }, { _id: 1 }).lean<{ _id: string }[]>();
    return docs.map((d) => d._id);
  }
}

/** Proposal statuses whose case is never final: a decision or a delivery is still to come. */
const LIVE_STATUSES = new Set<number>([
  ProposalStatus.PROPOSAL_STATUS_PROPOSED,
  ProposalStatus.PROPOSAL_STATUS_ACCEPTED,
]);

function fieldsOf(c: MatchCase): Omit<CaseDocument, '_id' | 'version'> {
  const open = openNeeds(c);
  const latest = Math.max(0, ...c.proposals.map((p) => new Date(p.createdAt ?? 0).getTime()));
  return {
    hasOpenNeeds: open.length > 0,
    openCategories: c.openCategories,
    district: c.location?.district ?? '',
    priorityScore: c.priorityScore,
    verifiedAt: new Date(c.verifiedAt),
    submittingOrganisationId: c.submittingOrganisationId,
    supplierIds: [...new Set(c.proposals.map((p) => p.supplierOrganisationId))],
    proposalStatuses: [...new Set(c.proposals.map((p) => p.status))],
    lastProposedAt: new Date(latest),
    pending: c.pending.length > 0 || c.reserving.length > 0,
    state: c,
  };
}
