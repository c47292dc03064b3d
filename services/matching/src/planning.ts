import { randomBytes } from 'node:crypto';
import type { Logger } from '@nuanyang/logger';
import { type Allocation, matchOne } from '@nuanyang/planner';
import { ProposalOrigin, UnmatchedReason } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import type { Actor } from '@nuanyang/store';
import { withSpan } from '@nuanyang/telemetry';
import { type CaseStore, change, MATCHING } from './case-log';
import {
  type FreeLot,
  freshest,
  groupBySupplier,
  type MatchCase,
  type NeedLine,
  openNeeds,
  type ProposalDraft,
  proposalId,
  remaining,
  toPlanNeed,
} from './domain/cases';
import type { Hold } from './hold';
import type { StockPort } from './stock';

export interface MatchingPolicy {
  proposalTtlMs: number;
}

/** The cases whose open needs wait for stock of these categories, most urgent first (the read model). */
export interface WaitingCases {
  waiting(categories: number[], limit: number): Promise<string[]>;
}

/** How a proposal is made: who asked, why, and (for a manual match) ids derived from its key. */
export interface ProposalSource {
  origin: ProposalOrigin;
  by: Actor;
  ids?: (supplier: string) => string;
  note?: string;
}

/** Cases re-planned per stock event: the most urgent first; the rest wait for the next stock or a batch plan. */
const WAKE_LIMIT = 100;

/** The online matcher: proposals from free stock for a case's open needs, reserved before they are recorded. */
export class Planning {
  constructor(
    private readonly store: CaseStore,
    private readonly stock: StockPort,
    private readonly waitingCases: WaitingCases,
    private readonly policy: MatchingPolicy,
    private readonly hold: Hold,
    private readonly log: Logger,
  ) {}

  /**
   * Plans every open need of a case: reserve first, then record the proposal only if the need is still open
   * (else release). What stays open is marked unmatched with a reason.
   */
  async plan(helpRequestId: string, newer: FreeLot[] = []): Promise<void> {
    await withSpan('match.plan', { 'help_request.id': helpRequestId }, async () => {
      const reasons = new Map<string, UnmatchedReason>();
      const start = await this.store.load(helpRequestId);
      for (const line of start ? openNeeds(start.state) : []) {
        reasons.set(line.need.needId, await this.planNeed(helpRequestId, line.need.needId, newer));
      }
      await change(this.store, helpRequestId, { kind: 'unmatched', reasons }, { actor: MATCHING });
    });
  }

  /**
   * Lots gained available stock: waiting needs of their categories are planned again, most urgent first,
   * with these views of the lots (inventory's list may not show the change yet).
   */
  async onStock(lots: FreeLot[]): Promise<void> {
    const categories = [...new Set(lots.map((l) => l.category))];
    if (categories.length === 0) return;
    for (const id of await this.waitingCases.waiting(categories, WAKE_LIMIT)) await this.plan(id, lots);
  }

  /** Proposes what free stock can cover of one need; returns why the rest stays open (or UNSPECIFIED). */
  private async planNeed(helpRequestId: string, needId: string, newer: FreeLot[]): Promise<UnmatchedReason> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.store.loadOrThrow(helpRequestId);
      const line = current.state.needs.find((n) => n.need.needId === needId);
      if (!line || remaining(current.state, needId) === 0)
        return UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED;
      const category = line.need.category;
      const all = freshest(
        await this.stock.freeLots(category),
        newer.filter((l) => l.category === category),
      );
      const lots = all.filter(
        (l) => l.unit === line.need.quantity?.unit && !line.declinedBy.includes(l.supplierId),
      );
      if (all.length === 0) return UnmatchedReason.UNMATCHED_REASON_NO_STOCK;
      if (lots.length === 0) {
        return line.declinedBy.length > 0
          ? UnmatchedReason.UNMATCHED_REASON_ALL_REJECTED
          : UnmatchedReason.UNMATCHED_REASON_NO_SUITABLE_STOCK;
      }
      const allocations = matchOne(toPlanNeed(current.state, line), lots);
      const raced = await this.propose(current.state, line, allocations, lots, {
        origin: ProposalOrigin.PROPOSAL_ORIGIN_AUTOMATIC,
        by: MATCHING,
      });
      if (!raced) {
        const after = await this.store.loadOrThrow(helpRequestId);
        return remaining(after.state, needId) > 0
          ? UnmatchedReason.UNMATCHED_REASON_INSUFFICIENT_STOCK
          : UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED;
      }
    }
    return UnmatchedReason.UNMATCHED_REASON_INSUFFICIENT_STOCK;
  }

  /**
   * Turns one need's allocations into one proposal per supplier, each in three steps: the draft is recorded,
   * inventory reserves its stock (idempotent by the proposal id), the proposal is recorded. A crash between
   * them leaves the draft for `resume`. Returns true when a reservation was refused (stock taken meanwhile),
   * so the caller plans again with fresh stock.
   */
  async propose(
    c: MatchCase,
    line: NeedLine,
    allocations: Allocation[],
    lots: FreeLot[],
    source: ProposalSource,
  ): Promise<boolean> {
    const byId = new Map(lots.map((l) => [l.id, l]));
    let raced = false;
    for (const [supplier, lines] of groupBySupplier(allocations, byId)) {
      const id = source.ids?.(supplier) ?? proposalId(c.helpRequestId, randomBytes(4).toString('hex'));
      const units = lines.reduce((s, l) => s + l.quantity, 0);
      const own = allocations.filter((a) => byId.get(a.lotId)?.supplierId === supplier);
      const distanceKm = own.reduce((s, a) => s + a.distanceKm * a.quantity, 0) / Math.max(1, units);
      const now = new Date();
      const draft: ProposalDraft = {
        id,
        needId: line.need.needId,
        supplierOrganisationId: supplier,
        lines,
        origin: source.origin,
        distanceKm: Math.round(distanceKm * 10) / 10,
        score: Math.round(toPlanNeed(c, line).weight * 10) / 10,
        proposedBy: source.by.userId,
        note: source.note ?? '',
        decideBy: new Date(now.getTime() + this.policy.proposalTtlMs),
      };
      const { change: recorded } = await change(
        this.store,
        c.helpRequestId,
        { kind: 'reserve', draft, by: source.by },
        { causedBy: `reserve:${id}`, actor: source.by },
      );
      // The need has no room for it any more (covered meanwhile): nothing to reserve.
      if (!recorded.state.reserving.some((r) => r.draft.id === id)) continue;
      if (await this.finishReservation(c.helpRequestId, draft, source.by)) raced = true;
    }
    return raced;
  }

  /**
   * Finishes every reservation of a case recorded since `before` or earlier (the sweep, after a crash: the
   * stock may be reserved for a proposal never recorded), then plans the case again.
   */
  async resume(caseId: string, before: Date): Promise<number> {
    const c = await this.store.load(caseId);
    const stale = (c?.state.reserving ?? []).filter((r) => new Date(r.since) <= before);
    for (const r of stale) {
      this.log.info({ proposalId: r.draft.id }, 'finishing a reservation');
      await this.finishReservation(caseId, r.draft, r.by);
    }
    if (stale.length > 0) await this.plan(caseId);
    return stale.length;
  }

  /**
   * Reserves a recorded draft's stock (again: inventory answers with the same reservation) and records the
   * proposal, or forgets the draft when the stock is gone; returns true then, so the caller plans again.
   */
  private async finishReservation(caseId: string, draft: ProposalDraft, by: Actor): Promise<boolean> {
    const id = draft.id;
    const reserved = await withSpan('stock.reserve', { 'proposal.id': id }, () =>
      this.stock.reserve(
        id,
        caseId,
        draft.lines.map((l) => ({ lotId: l.lotId, quantity: l.quantity })),
      ),
    );
    if (!reserved) {
      this.log.info({ proposalId: id }, 'stock was taken meanwhile; planning again');
      await change(this.store, caseId, { kind: 'unreserve', proposalId: id }, { actor: by });
      return true;
    }
    await this.hold('propose.reserved');
    const { change: after } = await change(
      this.store,
      caseId,
      { kind: 'propose', draft },
      { causedBy: `propose:${id}`, actor: by },
    );
    if (!after.state.proposals.some((p) => p.id === id)) {
      this.log.info({ proposalId: id }, 'need covered meanwhile; releasing the reservation');
      await this.stock.release(id, 'need covered meanwhile');
    }
    return false;
  }
}
