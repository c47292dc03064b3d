/**
 * THE objective: one definition used by the greedy matcher, the batch optimiser, the benchmark's LP and the
 * tests. A plan's value is the sum over its allocations of `quantity × edgeValue(need, lot)`, where one unit
 * of need n served from lot l is worth
 *
 *     weight_n × M  −  min(distanceKm(n, l), D)  −  ε × daysUntilExpiry_l  +  ω × daysWaited_n
 *
 * - M = FULFILMENT_VALUE = 10,000 per unit of weight: fulfilment first. The other three terms together lie in
 *   [−503.7, +0.4], so for weights ≥ 0.1 (intake's priority scores have a 0.1 step; urgency classes are 1–4)
 *   moving a unit to a need whose weight is at least 0.1 higher gains ≥ 1,000 and loses at most 504: distance
 *   never outweighs a unit of urgency-weighted fulfilment in any exchange between two needs over a lot, and
 *   every compatible unit has a positive value (weight > 0.0504), so serving always beats not serving. (A
 *   pathological exchange chain through three or more lots, each leg adding ~500 km, could in theory trade a
 *   0.1 step of weight for distance; Xi'an is ~150 km across, so no real instance comes close.)
 * - D = DISTANCE_CAP_KM = 500 km bounds the distance term (coordinates from another province must not break
 *   the guarantee above); distances reported in allocations are never capped.
 * - ε = EXPIRY_PENALTY_PER_DAY = 0.01 per day until expiry (clamped to [0, 365]; goods that never expire count
 *   365): first-expiry-first-out. It is a tie-break: goods expiring 100 days sooner are preferred if they are
 *   at most 1 km further away.
 * - ω = WAITING_BONUS_PER_DAY = 0.001 per day waited (clamped to [0, 365]): among needs of equal weight and
 *   distance, the older one is served first (issue #3: "urgency and waiting time").
 *
 * Days are measured from `referenceTime(needs, options)`: the caller's `now`, else the latest receivedAt.
 * A lot serves a need only if category AND unit match (`compatible`); incompatible pairs have value −∞.
 */
import { distanceKm, type PreparedPlace, preparedDistanceKm } from './distance';
import { checkInstance, PlanError, referenceTime } from './instance';
import type { Allocation, Plan, PlanLot, PlanNeed, PlanOptions } from './types';

export const FULFILMENT_VALUE = 10_000;
export const DISTANCE_CAP_KM = 500;
export const EXPIRY_PENALTY_PER_DAY = 0.01;
export const WAITING_BONUS_PER_DAY = 0.001;
/** Expiry and waiting are clamped to [0, HORIZON_DAYS]. */
export const HORIZON_DAYS = 365;

const DAY_MS = 86_400_000;

/** Whether `lot` can serve `need` at all: same category and same unit (no conversions). */
export function compatible(need: PlanNeed, lot: PlanLot): boolean {
  return need.category === lot.category && need.unit === lot.unit;
}

function clampDays(ms: number): number {
  return Math.min(HORIZON_DAYS, Math.max(0, ms / DAY_MS));
}

/** Days from `now` until the lot expires, in [0, 365]; 365 for goods without an expiry date. */
export function expiryDays(lot: PlanLot, now: number): number {
  return lot.expiresAt === undefined ? HORIZON_DAYS : clampDays(lot.expiresAt - now);
}

/** Days the need has waited at `now`, in [0, 365]. */
export function waitingDays(need: PlanNeed, now: number): number {
  return clampDays(now - need.receivedAt);
}

/** The value of one unit from its parts; every caller goes through here, so all agree to the last bit. */
export function unitValue(weight: number, km: number, daysToExpiry: number, daysWaited: number): number {
  return (
    weight * FULFILMENT_VALUE -
    Math.min(km, DISTANCE_CAP_KM) -
    EXPIRY_PENALTY_PER_DAY * daysToExpiry +
    WAITING_BONUS_PER_DAY * daysWaited
  );
}

/** `edgeValue` for places already prepared (the optimiser's inner loop). */
export function preparedEdgeValue(
  need: PlanNeed,
  needPlace: PreparedPlace,
  lot: PlanLot,
  lotPlace: PreparedPlace,
  now: number,
): number {
  if (!compatible(need, lot)) return Number.NEGATIVE_INFINITY;
  return unitValue(
    need.weight,
    preparedDistanceKm(needPlace, lotPlace),
    expiryDays(lot, now),
    waitingDays(need, now),
  );
}

/**
 * The value of one unit of `need` served from `lot` (see the top of this file); −∞ when the lot cannot serve
 * the need. `now` defaults to the need's receivedAt; plan-level functions pass `referenceTime(needs)`.
 */
export function edgeValue(need: PlanNeed, lot: PlanLot, now: number = need.receivedAt): number {
  if (!compatible(need, lot)) return Number.NEGATIVE_INFINITY;
  return unitValue(
    need.weight,
    distanceKm(need.place, lot.place),
    expiryDays(lot, now),
    waitingDays(need, now),
  );
}

/**
 * Validates `allocations` against the instance and scores them. Throws a PlanError when an allocation names an
 * unknown need or lot, pairs an incompatible lot and need, repeats a (need, lot) pair, has a quantity that is
 * not a whole number ≥ 1, or when a lot is over-allocated or a need over-covered. Each allocation's
 * `distanceKm` is recomputed (it is derived data), so the returned plan is always self-consistent.
 */
export function evaluate(
  needs: readonly PlanNeed[],
  lots: readonly PlanLot[],
  allocations: readonly Allocation[],
  options?: PlanOptions,
): Plan {
  checkInstance(needs, lots);
  const now = referenceTime(needs, options);
  const needById = new Map(needs.map((n) => [n.id, n]));
  const lotById = new Map(lots.map((l) => [l.id, l]));
  const covered = new Map<string, number>();
  const used = new Map<string, number>();
  const pairs = new Set<string>();

  let objective = 0;
  let servedWeight = 0;
  let unitKm = 0;
  const checked: Allocation[] = [];
  for (const a of allocations) {
    const need = needById.get(a.needId);
    const lot = lotById.get(a.lotId);
    if (!need) throw new PlanError(`allocation ${a.needId} ← ${a.lotId}: unknown need`);
    if (!lot) throw new PlanError(`allocation ${a.needId} ← ${a.lotId}: unknown lot`);
    if (!compatible(need, lot)) {
      throw new PlanError(
        `allocation ${a.needId} ← ${a.lotId}: lot (${lot.category}, ${lot.unit}) cannot serve need (${need.category}, ${need.unit})`,
      );
    }
    if (!(Number.isSafeInteger(a.quantity) && a.quantity >= 1)) {
      throw new PlanError(
        `allocation ${a.needId} ← ${a.lotId}: quantity ${a.quantity} is not a whole number ≥ 1`,
      );
    }
    const pair = `${a.needId}\u0000${a.lotId}`;
    if (pairs.has(pair)) throw new PlanError(`allocation ${a.needId} ← ${a.lotId}: pair allocated twice`);
    pairs.add(pair);

    const c = (covered.get(need.id) ?? 0) + a.quantity;
    if (c > need.quantity) throw new PlanError(`need ${need.id}: covered ${c} > needed ${need.quantity}`);
    covered.set(need.id, c);
    const u = (used.get(lot.id) ?? 0) + a.quantity;
    if (u > lot.available) throw new PlanError(`lot ${lot.id}: allocated ${u} > available ${lot.available}`);
    used.set(lot.id, u);

    const km = distanceKm(need.place, lot.place);
    objective += a.quantity * edgeValue(need, lot, now);
    servedWeight += a.quantity * need.weight;
    unitKm += a.quantity * km;
    checked.push({ needId: a.needId, lotId: a.lotId, quantity: a.quantity, distanceKm: km });
  }

  let neededWeight = 0;
  for (const n of needs) neededWeight += n.quantity * n.weight;
  return {
    allocations: checked,
    objective,
    weightedFulfilment: neededWeight > 0 ? servedWeight / neededWeight : 1,
    unitKm,
  };
}
