import type { Logger } from '@nuanyang/logger';
import { Acceptance } from './acceptance';
import { BatchPlan, type Lease, type OpenCases } from './batch-plan';
import type { CaseStore } from './case-log';
import { Fulfilment } from './fulfilment';
import { type Hold, noHold } from './hold';
import { CaseLifecycle } from './lifecycle';
import { ManualMatch } from './manual-match';
import { type MatchingPolicy, Planning, type WaitingCases } from './planning';
import { type CaseQueries, Queries } from './queries';
import type { StockPort } from './stock';

export interface MatchingDeps {
  store: CaseStore;
  stock: StockPort;
  /** The read model (MatchCaseViews): waiting needs, open cases and lists. */
  views: WaitingCases & OpenCases & CaseQueries;
  lease: Lease;
  policy: MatchingPolicy;
  log: Logger;
  hold?: Hold;
}

/** Matching's parts, wired to one store, one inventory and one read model. */
export function createMatching(deps: MatchingDeps) {
  const { store, stock, views, lease, policy, log } = deps;
  const hold = deps.hold ?? noHold;
  const planning = new Planning(store, stock, views, policy, hold, log);
  return {
    planning,
    lifecycle: new CaseLifecycle(store, stock, planning),
    acceptance: new Acceptance(store, stock, planning, hold, log),
    fulfilment: new Fulfilment(store, hold, log),
    manual: new ManualMatch(store, stock, planning),
    batch: new BatchPlan(store, stock, planning, views, lease),
    queries: new Queries(store, views),
  };
}

export type Matching = ReturnType<typeof createMatching>;
