import type { Principal } from '@nuanyang/auth';
import { AbortedError } from '@nuanyang/grpc-kit';
import { type Allocation, optimise } from '@nuanyang/planner';
import { ProposalOrigin, type RunBatchPlanResponse } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { withSpan } from '@nuanyang/telemetry';
import { actorOf, type CaseStore } from './case-log';
import { type MatchCase, openNeeds, toPlanNeed } from './domain/cases';
import type { Planning } from './planning';
import type { StockPort } from './stock';

/** A lease key a batch plan holds in NATS KV so only one replica plans at a time. */
export interface Lease {
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

/** The cases with open needs, most urgent first (the read model's live collection). */
export interface OpenCases {
  withOpenNeeds(): Promise<MatchCase[]>;
}

/**
 * Re-plans all open needs against all free stock with the batch optimiser, under a lease so one replica
 * plans at a time. Accepted and proposed proposals stay; only what is still open is planned.
 */
export class BatchPlan {
  constructor(
    private readonly store: CaseStore,
    private readonly stock: StockPort,
    private readonly planning: Planning,
    private readonly openCases: OpenCases,
    private readonly lease: Lease,
  ) {}

  async run(dryRun: boolean, actor: Principal): Promise<RunBatchPlanResponse> {
    if (!(await this.lease.acquire())) throw new AbortedError('another batch plan is running; retry later');
    const started = Date.now();
    try {
      const cases = await this.openCases.withOpenNeeds();
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
          // The read model is a moment behind: propose from the case as it is now.
          const current = (await this.store.loadOrThrow(c.helpRequestId)).state;
          const before = current.proposals.length;
          const fresh = current.needs.find((n) => n.need.needId === line.need.needId) ?? line;
          await this.planning.propose(current, fresh, allocations, lots, {
            origin: ProposalOrigin.PROPOSAL_ORIGIN_BATCH_PLAN,
            by: actorOf(actor),
          });
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
}
