import type { Principal } from '@nuanyang/auth';
import { FailedPreconditionError, InvalidArgumentError } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import { type MatchProposal, ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { mayDecide, proposalFor } from './access';
import { actorOf, type CaseStore, change, MATCHING } from './case-log';
import { caseIdOfProposal, type PendingDecision } from './domain/cases';
import type { Hold } from './hold';
import type { Planning } from './planning';
import type { StockPort } from './stock';

/**
 * A supplier's decision on a proposal spans two services: inventory commits (or releases) the reserved stock
 * and matching records the decision. Crash-safe by a recorded intent: the decision is appended as pending
 * first, then inventory is told (idempotent by the reservation id), then the decision is settled with its
 * event. A crash anywhere leaves the pending decision in the case; a retried call or the sweep (`resume`)
 * repeats the remaining steps, which change nothing the second time. So nothing is lost, nothing doubled, and
 * no stock stays committed to a proposal that never became ACCEPTED.
 */
export class Acceptance {
  constructor(
    private readonly store: CaseStore,
    private readonly stock: StockPort,
    private readonly planning: Planning,
    private readonly hold: Hold,
    private readonly log: Logger,
  ) {}

  /** The supplier agrees: the reservation is committed, then the proposal is accepted. */
  async accept(id: string, note: string, actor: Principal): Promise<MatchProposal> {
    return this.decide(id, 'accept', note, actor);
  }

  /** The supplier declines: the stock goes back, and the need is planned again without that supplier. */
  async reject(id: string, reason: string, actor: Principal): Promise<MatchProposal> {
    if (reason.trim() === '') throw InvalidArgumentError.field('reason', 'is required');
    return this.decide(id, 'reject', reason, actor);
  }

  private async decide(
    id: string,
    action: PendingDecision['action'],
    note: string,
    actor: Principal,
  ): Promise<MatchProposal> {
    const { c, p } = await proposalFor(this.store, id, actor);
    mayDecide(p, actor);
    const decision = {
      proposalId: id,
      action,
      by: actor.subject,
      organisationId: actor.organisationId,
      note,
    };
    const { change: recorded } = await change(
      this.store,
      c.helpRequestId,
      { kind: 'begin', decision },
      { actor: actorOf(actor) },
    );
    // A decision under way (this one, retried) is finished here; one already settled is answered as it is.
    const pending = recorded.state.pending.find((d) => d.proposalId === id);
    if (pending) {
      await this.hold(`${action}.recorded`);
      await this.complete(c.helpRequestId, pending);
    }
    return (await proposalFor(this.store, id, actor)).p;
  }

  /** Finishes every decision of a case pending since `before` or earlier (the sweep, after a crash). */
  async resume(caseId: string, before: Date): Promise<number> {
    const c = await this.store.load(caseId);
    const stale = (c?.state.pending ?? []).filter((d) => new Date(d.since) <= before);
    for (const d of stale) {
      this.log.info({ proposalId: d.proposalId, action: d.action }, 'finishing a pending decision');
      await this.complete(caseId, d).catch((err) => {
        // A lapsed reservation was recorded as such; the caller of the crashed call saw it fail.
        if (!(err instanceof FailedPreconditionError)) throw err;
      });
    }
    return stale.length;
  }

  /** The steps after the intent: inventory, then the settled decision (and a new plan after a rejection). */
  private async complete(caseId: string, d: PendingDecision): Promise<void> {
    const actor = { organisationId: d.organisationId, userId: d.by };
    if (d.action === 'reject') {
      await this.stock.release(d.proposalId, `rejected: ${d.note}`);
      const to = ProposalStatus.PROPOSAL_STATUS_REJECTED;
      await change(
        this.store,
        caseId,
        { kind: 'settle', proposalId: d.proposalId, to, by: d.by, reason: d.note },
        { causedBy: `reject:${d.proposalId}`, actor },
      );
      await this.planning.plan(caseId);
      return;
    }
    if ((await this.stock.commit(d.proposalId)) === 'lapsed') {
      const to = ProposalStatus.PROPOSAL_STATUS_EXPIRED;
      await change(
        this.store,
        caseId,
        { kind: 'settle', proposalId: d.proposalId, to, by: 'matching', reason: 'reservation lapsed' },
        { actor: MATCHING },
      );
      // The need is open again: plan it, as inventory's expiry event would (it finds the proposal settled).
      await this.planning.plan(caseId);
      throw new FailedPreconditionError(
        `proposal ${d.proposalId} can no longer be accepted: its reservation lapsed`,
      );
    }
    await this.hold('accept.committed');
    const to = ProposalStatus.PROPOSAL_STATUS_ACCEPTED;
    await change(
      this.store,
      caseId,
      { kind: 'settle', proposalId: d.proposalId, to, by: d.by, reason: d.note },
      { causedBy: `accept:${d.proposalId}`, actor },
    );
  }

  /** Inventory let a reservation lapse: its proposal expires (unless decided) and the need is planned again. */
  async onReservationExpired(proposalId: string): Promise<void> {
    const caseId = caseIdOfProposal(proposalId);
    if (!caseId || !(await this.store.load(caseId))) return;
    const to = ProposalStatus.PROPOSAL_STATUS_EXPIRED;
    const { applied } = await change(
      this.store,
      caseId,
      { kind: 'settle', proposalId, to, by: 'inventory', reason: 'reservation lapsed', onlyIfProposed: true },
      { actor: MATCHING },
    );
    if (applied) await this.planning.plan(caseId);
  }
}
