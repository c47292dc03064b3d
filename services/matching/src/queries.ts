import type { Principal } from '@nuanyang/auth';
import { pageOf, readPage } from '@nuanyang/grpc-kit';
import {
  type ListOpenNeedsRequest,
  type ListProposalsRequest,
  type MatchProposal,
  type OpenNeed,
  UnmatchedReason,
} from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { maySee, proposalFor } from './access';
import type { CaseStore } from './case-log';
import { type MatchCase, openNeeds, toOpenNeed } from './domain/cases';
import type { ProposalFilter } from './read-model';

/** The read model's queries this module needs (MatchCaseViews). */
export interface CaseQueries {
  withProposals(filter: ProposalFilter, n: number): Promise<MatchCase[]>;
  openNeeds(filter: { category: number; district: string }): Promise<MatchCase[]>;
}

/** The match board's reads: one proposal by key, lists from the live read model. */
export class Queries {
  constructor(
    private readonly store: CaseStore,
    private readonly views: CaseQueries,
  ) {}

  async get(id: string, actor: Principal): Promise<MatchProposal> {
    return (await proposalFor(this.store, id, actor)).p;
  }

  /**
   * Proposals newest first. One request's are read from its case by key (current at once, whatever their
   * status); the others from the read model, a moment behind.
   */
  async listProposals(
    req: ListProposalsRequest,
    actor: Principal,
  ): Promise<{ proposals: MatchProposal[]; nextPageToken: string }> {
    const at = readPage(req.page);
    const cases = req.helpRequestId
      ? [(await this.store.load(req.helpRequestId))?.state].filter((c): c is MatchCase => c !== undefined)
      : await this.views.withProposals(req, at.offset + at.limit + 1);
    const all = cases
      .flatMap((c) => c.proposals.filter((p) => maySee(c, p, actor)))
      .filter((p) => req.statuses.length === 0 || req.statuses.includes(p.status))
      .filter((p) => !req.supplierOrganisationId || p.supplierOrganisationId === req.supplierOrganisationId)
      .sort((a, b) => new Date(b.createdAt ?? 0).getTime() - new Date(a.createdAt ?? 0).getTime());
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
    return { proposals: items, nextPageToken };
  }

  async listOpenNeeds(req: ListOpenNeedsRequest): Promise<{ needs: OpenNeed[]; nextPageToken: string }> {
    const at = readPage(req.page);
    const cases = await this.views.openNeeds(req);
    const all = cases
      .flatMap((c) => openNeeds(c).map((line) => toOpenNeed(c, line)))
      .filter((n) => !req.category || n.need?.category === req.category)
      .filter(
        (n) => !req.unmatchedOnly || n.unmatchedReason !== UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED,
      );
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
    return { needs: items, nextPageToken };
  }
}
