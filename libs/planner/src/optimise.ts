/**
 * The batch optimiser: re-plans all open needs against all free stock, maximising the objective of
 * objective.ts exactly.
 *
 * The LP (maximise Σ edgeValue·x subject to lot and need capacities) only couples needs and lots of one
 * (category, unit) group: groups share no need and no lot, so the LP separates into one transportation
 * problem per group, solved exactly by the network simplex in transport.ts. Its optimum is integral (the
 * constraint matrix is totally unimodular and quantities are whole), so the plan is also the optimum over
 * whole-unit plans. Nothing is pruned for good: the solver works from short candidate lists (each need's
 * nearest lots) but prices every compatible pair before it declares a plan optimal.
 */
import { type PreparedPlace, preparedDistanceKm, preparePlace } from './distance';
import { checkInstance, compareIds, compareNeeds, groupKey, referenceTime } from './instance';
import { evaluate, expiryDays, unitValue, waitingDays } from './objective';
import { solveTransport } from './transport';
import type { Allocation, Plan, PlanLot, PlanNeed, PlanOptions } from './types';

interface Group {
  needs: PlanNeed[];
  lots: PlanLot[];
}

/** Statistics of the last solve, for the benchmark. */
export interface OptimiseStats {
  groups: number;
  /** Compatible (need, lot) pairs priced. */
  pairs: number;
  pivots: number;
  /** Scans of whole group matrices (at least one per group: the proof of optimality). */
  fullScans: number;
}

/**
 * The plan of maximum objective value (objective.ts) over all `needs` and `lots`, deterministic for a given
 * instance (also under reordering of the input arrays: ties are broken by the canonical order of needs and
 * lot ids). Throws a PlanError on an invalid instance.
 */
export function optimise(
  needs: readonly PlanNeed[],
  lots: readonly PlanLot[],
  options?: PlanOptions,
  stats?: OptimiseStats,
): Plan {
  checkInstance(needs, lots);
  const now = referenceTime(needs, options);

  const groups = new Map<string, Group>();
  const groupOf = (item: { category: number; unit: string }): Group => {
    const key = groupKey(item);
    let g = groups.get(key);
    if (!g) {
      g = { needs: [], lots: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const n of needs) if (n.quantity > 0) groupOf(n).needs.push(n);
  for (const l of lots) if (l.available > 0) groupOf(l).lots.push(l);

  const allocations: Allocation[] = [];
  let pairs = 0;
  let pivots = 0;
  let fullScans = 0;
  // Smallest groups first: the result does not depend on the order (groups are independent), and the JIT has
  // compiled the solver by the time the large ones come.
  const keys = [...groups.keys()].sort(compareIds);
  const order = keys
    .map((key) => groups.get(key) as Group)
    .filter((g) => g.needs.length > 0 && g.lots.length > 0)
    .sort((a, b) => a.needs.length * a.lots.length - b.needs.length * b.lots.length);
  // One cost buffer for all groups (the largest group's size): fewer large allocations, less GC.
  const buffer = new Float64Array(order.reduce((max, g) => Math.max(max, g.needs.length * g.lots.length), 0));
  for (const g of order) {
    const gNeeds = g.needs.sort(compareNeeds);
    const gLots = g.lots.sort((a, b) => compareIds(a.id, b.id));
    const m = gLots.length;
    const n = gNeeds.length;
    // Need-major matrix. Lots often share a place (a warehouse holds many lots): distances are computed
    // once per (need, distinct lot place).
    const placeOf = new Int32Array(m);
    const places: PreparedPlace[] = [];
    const placeIds = new Map<string, number>();
    gLots.forEach((lot, l) => {
      const p = preparePlace(lot.place);
      const key = `${p.geocoded ? `${p.x},${p.y},${p.z}` : '~'}\u0000${p.district}\u0000${p.community}`;
      let id = placeIds.get(key);
      if (id === undefined) {
        id = places.length;
        places.push(p);
        placeIds.set(key, id);
      }
      placeOf[l] = id;
    });
    const lotDays = Float64Array.from(gLots, (lot) => expiryDays(lot, now));
    const km = new Float64Array(places.length);
    // Costs for the solver: −value, +∞ for a pair not worth serving (value ≤ 0; none for weights ≥ 0.06).
    const cost = buffer.subarray(0, m * n);
    for (let j = 0; j < n; j++) {
      const need = gNeeds[j] as PlanNeed;
      const needPlace = preparePlace(need.place);
      for (let u = 0; u < places.length; u++)
        km[u] = preparedDistanceKm(needPlace, places[u] as PreparedPlace);
      const waited = waitingDays(need, now);
      const row = j * m;
      for (let l = 0; l < m; l++) {
        const v = unitValue(need.weight, km[placeOf[l] as number] as number, lotDays[l] as number, waited);
        cost[row + l] = v > 0 ? -v : Number.POSITIVE_INFINITY;
      }
    }
    pairs += m * n;
    const result = solveTransport(
      gLots.map((x) => x.available),
      gNeeds.map((x) => x.quantity),
      cost,
    );
    pivots += result.pivots;
    fullScans += result.fullScans;
    for (const f of result.flows) {
      const need = gNeeds[f.need] as PlanNeed;
      const lot = gLots[f.lot] as PlanLot;
      allocations.push({ needId: need.id, lotId: lot.id, quantity: f.quantity, distanceKm: 0 });
    }
  }
  if (stats) {
    stats.groups = order.length;
    stats.pairs = pairs;
    stats.pivots = pivots;
    stats.fullScans = fullScans;
  }
  allocations.sort((a, b) => compareIds(a.needId, b.needId) || compareIds(a.lotId, b.lotId));
  return evaluate(needs, lots, allocations, { now });
}
