import { createHash, randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { hasAnyRole, type Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import {
  AbortedError,
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  pageOf,
  readPage,
} from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import { type Allocation, matchOne, optimise } from '@nuanyang/planner';
import type { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  HelpRequestCoverageChanged,
  MatchAccepted,
  MatchFulfilled,
  MatchProposed,
  MatchRejected,
  NeedUnmatched,
} from '@nuanyang/proto/nuanyang/matching/v1/events';
import {
  type ListOpenNeedsRequest,
  type ListProposalsRequest,
  type MatchProposal,
  type OpenNeed,
  ProposalOrigin,
  ProposalStatus,
  type ProposeManualMatchRequest,
  type RunBatchPlanResponse,
  UnmatchedReason,
} from '@nuanyang/proto/nuanyang/matching/v1/matching';
import type { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import type { AggregateStore, EventDraft } from '@nuanyang/store';
import { withSpan } from '@nuanyang/telemetry';
import {
  addProposal,
  caseIdOfProposal,
  coverage,
  decide,
  type FreeLot,
  groupBySupplier,
  type MatchCase,
  markUnmatched,
  type NeedLine,
  openNeeds,
  proposalId,
  remaining,
  toOpenNeed,
  toPlanNeed,
  withDerived,
} from './domain/cases';
import type { Stock } from './stock';

type Meta = { eventId: string; occurredAt: Date };
type Change = { next: MatchCase; events: EventDraft[] };

const meta = (c: MatchCase, m: Meta, actor = '') => ({
  ...m,
  aggregateId: c.helpRequestId,
  aggregateVersion: 0,
  actorOrganisationId: '',
  actorUserId: actor,
});

const event = (subject: string, encode: (m: Meta) => Uint8Array): EventDraft => ({ subject, encode });

const proposed = (c: MatchCase, p: MatchProposal) =>
  event(SUBJECTS.matching.proposed, (m) =>
    MatchProposed.encode({ meta: meta(c, m, p.proposedBy), proposal: p }).finish(),
  );

/** A lease key a batch plan holds in NATS KV so only one replica plans at a time. */
export interface Lease {
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

export interface MatchingPolicy {
  proposalTtlMs: number;
}

/** Matching: cases per verified request, proposals from free stock, supplier decisions, batch plans. */
export class Matching {
  constructor(
    private readonly store: AggregateStore<MatchCase>,
    private readonly stock: Stock,
    private readonly lease: Lease,
    private readonly policy: MatchingPolicy,
    private readonly log: Logger,
  ) {}

  /**
   * Appends a change to a case, keeping its derived fields and telling intake when the request's coverage
   * moved (accepted proposals count).
   */
  private async change(id: string, fn: (c: MatchCase) => Change | null, causedBy?: string) {
    return this.store.update(
      id,
      (current) => {
        const result = fn(current.state);
        if (!result) return null;
        const next = withDerived(result.next);
        const events = [...result.events];
        const after = coverage(next);
        if (after !== coverage(current.state)) {
          const covered = next.needs.filter((n) => remaining(next, n.need.needId) === 0).length;
          events.push(
            event(SUBJECTS.matching.coverageChanged, (m) =>
              HelpRequestCoverageChanged.encode({
                meta: meta(next, m),
                helpRequestId: id,
                coverage: after,
                needsCovered: covered,
                needsTotal: next.needs.length,
              }).finish(),
            ),
          );
        }
        return { state: next, events };
      },
      causedBy ? { causedBy } : {},
    );
  }

  /**
   * Appends one decision on a proposal, with the event it announces. The same decision again appends
   * nothing; another move of a decided proposal is FAILED_PRECONDITION, or nothing with `onlyIfProposed`
   * (for inventory's events, which may arrive after the supplier decided).
   */
  private settle(
    caseId: string,
    id: string,
    to: Parameters<typeof decide>[2],
    by: string,
    reason: string,
    opts: {
      causedBy?: string;
      onlyIfProposed?: boolean;
      announce?: (c: MatchCase, p: MatchProposal) => EventDraft;
    } = {},
  ) {
    return this.change(
      caseId,
      (cur) => {
        const current = cur.proposals.find((x) => x.id === id);
        if (opts.onlyIfProposed && current?.status !== ProposalStatus.PROPOSAL_STATUS_PROPOSED) return null;
        const next = decide(cur, id, to, by, reason, new Date());
        const decided = next?.proposals.find((x) => x.id === id);
        return next && decided ? { next, events: opts.announce ? [opts.announce(next, decided)] : [] } : null;
      },
      opts.causedBy,
    );
  }

  /** A verified request opens its case (once, however often the event comes) and is planned at once. */
  async onVerified(e: HelpRequestVerified): Promise<void> {
    const c: MatchCase = withDerived({
      helpRequestId: e.helpRequestId,
      submittingOrganisationId: e.submittingOrganisationId,
      urgency: e.urgency,
      priorityScore: e.priorityScore,
      location: e.location && { ...e.location, address: '' },
      receivedAt: e.receivedAt,
      verifiedAt: e.meta?.occurredAt ?? new Date(),
      needs: e.correctedNeeds.map((need) => ({
        need,
        unmatchedReason: UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED,
        declinedBy: [],
      })),
      proposals: [],
      open: true,
      openCategories: [],
    });
    await this.store.create(e.helpRequestId, { state: c, events: [] });
    await this.plan(e.helpRequestId);
  }

  /** A cancelled request closes its case: open proposals are withdrawn and their stock released. */
  async onCancelled(helpRequestId: string, reason: string): Promise<void> {
    const c = await this.store.load(helpRequestId);
    if (!c) return;
    const open = c.state.proposals.filter((p) => p.status === ProposalStatus.PROPOSAL_STATUS_PROPOSED);
    for (const p of open) await this.stock.release(p.id, 'help request cancelled');
    await this.change(helpRequestId, (cur) => {
      if (!cur.open) return null;
      let next: MatchCase = { ...cur, open: false };
      for (const p of open)
        next =
          decide(next, p.id, ProposalStatus.PROPOSAL_STATUS_WITHDRAWN, 'matching', reason, new Date()) ??
          next;
      return { next, events: [] };
    });
  }

  /**
   * Plans every open need of a case with the online matcher: reserve first, then record the proposal only
   * if the need is still open (else release). What stays open is marked unmatched with a reason.
   */
  async plan(helpRequestId: string): Promise<void> {
    await withSpan('match.plan', { 'help_request.id': helpRequestId }, async () => {
      const reasons = new Map<string, UnmatchedReason>();
      const start = await this.store.load(helpRequestId);
      for (const line of start ? openNeeds(start.state) : []) {
        reasons.set(line.need.needId, await this.planNeed(helpRequestId, line.need.needId));
      }
      await this.change(helpRequestId, (c) => {
        const next = markUnmatched(c, reasons);
        if (!next) return null;
        const events = next.needs
          .filter(
            (n, i) =>
              n.unmatchedReason !== UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED &&
              n.unmatchedReason !== c.needs[i]?.unmatchedReason,
          )
          .map((n) =>
            event(SUBJECTS.matching.unmatched, (m) =>
              NeedUnmatched.encode({
                meta: meta(next, m),
                helpRequestId,
                needId: n.need.needId,
                category: n.need.category,
                remainingQuantity: remaining(next, n.need.needId),
                reason: n.unmatchedReason,
                detail: '',
              }).finish(),
            ),
          );
        return { next, events };
      });
    });
  }

  /** Proposes what free stock can cover of one need; returns why the rest stays open (or UNSPECIFIED). */
  private async planNeed(helpRequestId: string, needId: string): Promise<UnmatchedReason> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.store.loadOrThrow(helpRequestId);
      const line = current.state.needs.find((n) => n.need.needId === needId);
      if (!line || remaining(current.state, needId) === 0)
        return UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED;
      const all = await this.stock.freeLots(line.need.category);
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
      const raced = await this.propose(
        current.state,
        line,
        allocations,
        lots,
        ProposalOrigin.PROPOSAL_ORIGIN_AUTOMATIC,
        'matching',
      );
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
   * Turns one need's allocations into one proposal per supplier: reserve, then record. Returns true when a
   * reservation was refused (stock taken meanwhile), so the caller plans again with fresh stock.
   */
  private async propose(
    c: MatchCase,
    line: NeedLine,
    allocations: Allocation[],
    lots: FreeLot[],
    origin: ProposalOrigin,
    by: string,
    ids?: (supplier: string) => string,
    note = '',
  ): Promise<boolean> {
    const byId = new Map(lots.map((l) => [l.id, l]));
    let raced = false;
    for (const [supplier, lines] of groupBySupplier(allocations, byId)) {
      const id = ids?.(supplier) ?? proposalId(c.helpRequestId, randomBytes(4).toString('hex'));
      const units = lines.reduce((s, l) => s + l.quantity, 0);
      const own = allocations.filter((a) => byId.get(a.lotId)?.supplierId === supplier);
      const distanceKm = own.reduce((s, a) => s + a.distanceKm * a.quantity, 0) / Math.max(1, units);
      const reservation = await withSpan('stock.reserve', { 'proposal.id': id }, () =>
        this.stock.reserve(
          id,
          c.helpRequestId,
          lines.map((l) => ({ lotId: l.lotId, quantity: l.quantity })),
        ),
      );
      if (!reservation) {
        this.log.info({ proposalId: id, supplier }, 'stock was taken meanwhile; planning again');
        raced = true;
        continue;
      }
      const now = new Date();
      const draft = {
        id,
        needId: line.need.needId,
        supplierOrganisationId: supplier,
        lines,
        origin,
        distanceKm: Math.round(distanceKm * 10) / 10,
        score: Math.round(toPlanNeed(c, line).weight * 10) / 10,
        proposedBy: by,
        note,
        decideBy: new Date(now.getTime() + this.policy.proposalTtlMs),
      };
      const { applied } = await this.change(
        c.helpRequestId,
        (cur) => {
          const next = addProposal(cur, draft, now);
          const p = next?.proposals.find((x) => x.id === id);
          return next && p ? { next, events: [proposed(next, p)] } : null;
        },
        `propose:${id}`,
      );
      const recorded = (await this.store.loadOrThrow(c.helpRequestId)).state.proposals.some(
        (p) => p.id === id,
      );
      if (!applied && !recorded) {
        this.log.info({ proposalId: id }, 'need covered meanwhile; releasing the reservation');
        await this.stock.release(id, 'need covered meanwhile');
      }
    }
    return raced;
  }

  /** New stock of these categories: waiting needs are planned again, most urgent first. */
  async onStock(categories: number[]): Promise<void> {
    if (categories.length === 0) return;
    const waiting = await this.store.query(
      { 'state.openCategories': { $in: categories } },
      { 'state.priorityScore': -1, 'state.verifiedAt': 1 },
      100,
    );
    for (const c of waiting) await this.plan(c.id);
  }

  private async proposalFor(id: string, actor: Principal): Promise<{ c: MatchCase; p: MatchProposal }> {
    const caseId = caseIdOfProposal(id);
    const found = caseId ? await this.store.load(caseId) : null;
    const p = found?.state.proposals.find((x) => x.id === id);
    if (!found || !p || !this.maySee(found.state, p, actor))
      throw new NotFoundError(`proposal ${id} not found`);
    return { c: found.state, p };
  }

  private maySee(c: MatchCase, p: MatchProposal, actor: Principal): boolean {
    if (hasAnyRole(actor, ['operator', 'viewer'])) return true;
    if (actor.roles.includes('supplier') && p.supplierOrganisationId === actor.organisationId) return true;
    return actor.roles.includes('partner') && c.submittingOrganisationId === actor.organisationId;
  }

  private mayDecide(p: MatchProposal, actor: Principal): void {
    if (actor.roles.includes('operator')) return;
    if (actor.roles.includes('supplier') && p.supplierOrganisationId === actor.organisationId) return;
    throw new PermissionDeniedError(
      'only the supplying organisation or an operator may decide on a proposal',
    );
  }

  async get(id: string, actor: Principal): Promise<MatchProposal> {
    return (await this.proposalFor(id, actor)).p;
  }

  /** The supplier agrees: the reservation is committed, then the proposal is accepted. */
  async accept(id: string, note: string, actor: Principal): Promise<MatchProposal> {
    const { c, p } = await this.proposalFor(id, actor);
    this.mayDecide(p, actor);
    if (p.status === ProposalStatus.PROPOSAL_STATUS_ACCEPTED) return p;
    decide(c, id, ProposalStatus.PROPOSAL_STATUS_ACCEPTED, actor.subject, note, new Date()); // throws if not PROPOSED
    try {
      await this.stock.commit(id);
    } catch (err) {
      if ((err as { code?: status }).code !== status.FAILED_PRECONDITION) throw err; // the reservation lapsed
      await this.settle(
        c.helpRequestId,
        id,
        ProposalStatus.PROPOSAL_STATUS_EXPIRED,
        'matching',
        'reservation lapsed',
      );
      throw new FailedPreconditionError(`proposal ${id} can no longer be accepted: its reservation lapsed`);
    }
    await this.settle(c.helpRequestId, id, ProposalStatus.PROPOSAL_STATUS_ACCEPTED, actor.subject, note, {
      causedBy: `accept:${id}`,
      announce: (next, accepted) =>
        event(SUBJECTS.matching.accepted, (m) =>
          MatchAccepted.encode({ meta: meta(next, m, actor.subject), proposal: accepted }).finish(),
        ),
    });
    return (await this.proposalFor(id, actor)).p;
  }

  /** The supplier declines: the stock goes back, and the need is planned again without that supplier. */
  async reject(id: string, reason: string, actor: Principal): Promise<MatchProposal> {
    if (reason.trim() === '') throw InvalidArgumentError.field('reason', 'is required');
    const { c, p } = await this.proposalFor(id, actor);
    this.mayDecide(p, actor);
    if (p.status === ProposalStatus.PROPOSAL_STATUS_REJECTED) return p;
    decide(c, id, ProposalStatus.PROPOSAL_STATUS_REJECTED, actor.subject, reason, new Date()); // throws if not PROPOSED
    await this.stock.release(id, `rejected: ${reason}`);
    await this.settle(c.helpRequestId, id, ProposalStatus.PROPOSAL_STATUS_REJECTED, actor.subject, reason, {
      causedBy: `reject:${id}`,
      announce: (next, rejected) =>
        event(SUBJECTS.matching.rejected, (m) =>
          MatchRejected.encode({ meta: meta(next, m, actor.subject), proposal: rejected, reason }).finish(),
        ),
    });
    await this.plan(c.helpRequestId);
    return (await this.proposalFor(id, actor)).p;
  }

  /** Inventory let a reservation lapse: its proposal expires and the need is planned again. */
  async onReservationExpired(proposalIdOfReservation: string): Promise<void> {
    const caseId = caseIdOfProposal(proposalIdOfReservation);
    if (!caseId || !(await this.store.load(caseId))) return;
    const { applied } = await this.settle(
      caseId,
      proposalIdOfReservation,
      ProposalStatus.PROPOSAL_STATUS_EXPIRED,
      'inventory',
      'reservation lapsed',
      { onlyIfProposed: true },
    );
    if (applied) await this.plan(caseId);
  }

  /**
   * Volunteer delivered a proposal's goods: the proposal is FULFILLED (MatchFulfilled), and the request's
   * coverage becomes FULFILLED once every need's accepted quantity is delivered. A redelivery changes
   * nothing; a proposal that is not ACCEPTED (withdrawn meanwhile) is logged and left as it is.
   */
  async onDelivered(proposalIdOfTask: string, volunteerId: string): Promise<void> {
    const caseId = caseIdOfProposal(proposalIdOfTask);
    if (!caseId || !(await this.store.load(caseId))) {
      this.log.warn({ proposalId: proposalIdOfTask }, 'delivery for a proposal matching does not know');
      return;
    }
    try {
      await this.settle(caseId, proposalIdOfTask, ProposalStatus.PROPOSAL_STATUS_FULFILLED, volunteerId, '', {
        causedBy: `delivered:${proposalIdOfTask}`,
        announce: (next, fulfilled) =>
          event(SUBJECTS.matching.fulfilled, (m) =>
            MatchFulfilled.encode({ meta: meta(next, m, volunteerId), proposal: fulfilled }).finish(),
          ),
      });
    } catch (err) {
      if (!(err instanceof FailedPreconditionError)) throw err;
      this.log.warn(
        { proposalId: proposalIdOfTask, err },
        'delivered goods of a proposal that is not accepted',
      );
    }
  }

  /** An operator picks the lots; ids derive from the idempotency key, so a retry reserves nothing new. */
  async manual(
    req: ProposeManualMatchRequest,
    actor: Principal,
  ): Promise<{ proposals: MatchProposal[]; replayed: boolean }> {
    if (!/^[A-Za-z0-9_.:-]{8,128}$/.test(req.idempotencyKey)) {
      throw InvalidArgumentError.field(
        'idempotency_key',
        'must be 8 to 128 characters of letters, digits, _ . : -',
      );
    }
    if (req.lines.length === 0) throw InvalidArgumentError.field('lines', 'at least one lot is required');
    req.lines.forEach((l, i) => {
      if (!Number.isInteger(l.quantity) || l.quantity <= 0)
        throw InvalidArgumentError.field(`lines[${i}].quantity`, 'must be a whole number greater than 0');
    });
    const found = await this.store.load(req.helpRequestId);
    if (!found)
      throw new NotFoundError(`help request ${req.helpRequestId} is not verified or not known to matching`);
    const line = found.state.needs.find((n) => n.need.needId === req.needId);
    if (!line) throw new NotFoundError(`need ${req.needId} not found in help request ${req.helpRequestId}`);
    const keyed = (supplier: string) =>
      proposalId(
        req.helpRequestId,
        createHash('sha256').update(`${req.idempotencyKey}\u0000${supplier}`).digest('hex').slice(0, 8),
      );
    const mine = (c: MatchCase) =>
      c.proposals.filter(
        (p) => p.proposedBy === actor.subject && p.note.startsWith(`[${req.idempotencyKey}]`),
      );
    const earlier = mine(found.state);
    if (earlier.length > 0) {
      const same =
        earlier.every((p) => p.needId === req.needId) &&
        earlier
          .flatMap((p) => p.lines.map((l) => `${l.lotId}:${l.quantity}`))
          .sort()
          .join() ===
          req.lines
            .map((l) => `${l.lotId}:${l.quantity}`)
            .sort()
            .join();
      if (!same) throw new AlreadyExistsError('idempotency_key was already used for another manual match');
      return { proposals: earlier, replayed: true };
    }
    if (!found.state.open) throw new FailedPreconditionError('the help request was cancelled');
    const lots = new Map((await this.stock.freeLots(line.need.category)).map((l) => [l.id, l]));
    const allocations: Allocation[] = req.lines.map((l, i) => {
      const lot = lots.get(l.lotId);
      if (!lot)
        throw new FailedPreconditionError(
          `lines[${i}]: lot ${l.lotId} has no available ${line.need.itemName} stock`,
        );
      if (lot.unit !== line.need.quantity?.unit)
        throw InvalidArgumentError.field(
          `lines[${i}].lot_id`,
          `lot unit ${lot.unit} differs from the need's unit`,
        );
      return { needId: req.needId, lotId: l.lotId, quantity: l.quantity, distanceKm: 0 };
    });
    const total = allocations.reduce((s, a) => s + a.quantity, 0);
    if (total > remaining(found.state, req.needId)) {
      throw InvalidArgumentError.field(
        'lines',
        `asks for ${total} but only ${remaining(found.state, req.needId)} is still open`,
      );
    }
    const raced = await this.propose(
      found.state,
      line,
      allocations,
      [...lots.values()],
      ProposalOrigin.PROPOSAL_ORIGIN_MANUAL,
      actor.subject,
      keyed,
      `[${req.idempotencyKey}] ${req.note}`,
    );
    if (raced) throw new FailedPreconditionError('a lot no longer has that much available stock');
    return { proposals: mine((await this.store.loadOrThrow(req.helpRequestId)).state), replayed: false };
  }

  /**
   * Re-plans all open needs against all free stock with the batch optimiser, under a lease so one replica
   * plans at a time. Accepted and proposed proposals stay; only what is still open is planned.
   */
  async batch(dryRun: boolean, actor: Principal): Promise<RunBatchPlanResponse> {
    if (!(await this.lease.acquire())) throw new AbortedError('another batch plan is running; retry later');
    const started = Date.now();
    try {
      const cases = (
        await this.store.query(
          { 'state.openCategories.0': { $exists: true } },
          { 'state.priorityScore': -1 },
          50_000,
        )
      ).map((r) => r.state);
      const lines = cases.flatMap((c) =>
        openNeeds(c).map((line) => ({ c, line, need: toPlanNeed(c, line) })),
      );
      const lots = await this.stock.freeLots();
      const plan = await withSpan('match.batch_plan', { needs: lines.length, lots: lots.length }, async () =>
        optimise(
          lines.map((l) => l.need),
          lots,
        ),
      );
      const lotById = new Map(lots.map((l) => [l.id, l]));
      const lineById = new Map(lines.map((l) => [l.need.id, l.line]));
      const byNeed = new Map<string, Allocation[]>();
      for (const a of plan.allocations) {
        // The optimiser does not know who declined what: never propose to a supplier that declined this need.
        if (lineById.get(a.needId)?.declinedBy.includes(lotById.get(a.lotId)?.supplierId ?? '')) continue;
        byNeed.set(a.needId, [...(byNeed.get(a.needId) ?? []), a]);
      }
      let created = 0;
      if (!dryRun) {
        for (const { c, line, need } of lines) {
          const allocations = byNeed.get(need.id);
          if (!allocations) continue;
          const before = (await this.store.loadOrThrow(c.helpRequestId)).state.proposals.length;
          await this.propose(
            c,
            line,
            allocations,
            lots,
            ProposalOrigin.PROPOSAL_ORIGIN_BATCH_PLAN,
            actor.subject,
          );
          created += (await this.store.loadOrThrow(c.helpRequestId)).state.proposals.length - before;
        }
      }
      const ms = Date.now() - started;
      return {
        planId: `plan-${started}`,
        needsConsidered: lines.length,
        lotsConsidered: lots.length,
        proposalsCreated: created,
        proposalsWithdrawn: 0,
        objective: plan.objective,
        fulfilmentRatio: plan.weightedFulfilment,
        totalDistanceKm: plan.allocations.reduce((s, a) => s + a.distanceKm, 0),
        duration: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
        proposals: [],
      };
    } finally {
      await this.lease.release();
    }
  }

  async listProposals(
    req: ListProposalsRequest,
    actor: Principal,
  ): Promise<{ proposals: MatchProposal[]; nextPageToken: string }> {
    const at = readPage(req.page);
    const filter: Record<string, unknown> = {};
    if (req.helpRequestId) filter._id = req.helpRequestId;
    if (req.supplierOrganisationId)
      filter['state.proposals.supplierOrganisationId'] = req.supplierOrganisationId;
    if (req.statuses.length > 0) filter['state.proposals.status'] = { $in: req.statuses };
    const cases = await this.store.query(filter, { 'state.verifiedAt': -1 }, 1000);
    const all = cases
      .flatMap((r) => r.state.proposals.filter((p) => this.maySee(r.state, p, actor)))
      .filter((p) => req.statuses.length === 0 || req.statuses.includes(p.status))
      .filter((p) => !req.supplierOrganisationId || p.supplierOrganisationId === req.supplierOrganisationId)
      .sort((a, b) => new Date(b.createdAt ?? 0).getTime() - new Date(a.createdAt ?? 0).getTime());
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
    return { proposals: items, nextPageToken };
  }

  async listOpenNeeds(req: ListOpenNeedsRequest): Promise<{ needs: OpenNeed[]; nextPageToken: string }> {
    const at = readPage(req.page);
    const filter: Record<string, unknown> = { 'state.openCategories.0': { $exists: true } };
    if (req.category) filter['state.openCategories'] = req.category as ItemCategory;
    if (req.district) filter['state.location.district'] = req.district;
    const cases = await this.store.query(filter, { 'state.priorityScore': -1, 'state.verifiedAt': 1 }, 1000);
    const all = cases
      .flatMap((r) => openNeeds(r.state).map((line) => toOpenNeed(r.state, line)))
      .filter((n) => !req.category || n.need?.category === req.category)
      .filter(
        (n) => !req.unmatchedOnly || n.unmatchedReason !== UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED,
      );
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
    return { needs: items, nextPageToken };
  }
}
