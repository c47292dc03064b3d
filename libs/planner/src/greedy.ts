/**
 * The online matcher: what the matching service runs when one need is verified (`matchOne`) and, need after
 * need, over a whole instance (`greedyMatch`, the baseline the benchmark compares the optimiser with).
 */
import { distanceTier, type PreparedPlace, preparedDistanceKm, preparePlace } from './distance';
import { checkInstance, compareIds, compareNeeds, groupKey, referenceTime } from './instance';
import { evaluate, expiryDays, unitValue, waitingDays } from './objective';
import type { Allocation, Plan, PlanLot, PlanNeed, PlanOptions } from './types';

interface LotEntry {
  lot: PlanLot;
  place: PreparedPlace;
  /** Index into the `remaining` array. */
  index: number;
  /** expiresAt, +∞ for goods that do not expire. */
  expiry: number;
  daysToExpiry: number;
}

function lotEntries(lots: readonly PlanLot[], now: number): Map<string, LotEntry[]> {
  const groups = new Map<string, LotEntry[]>();
  const order = lots.map((lot, index) => ({ lot, index })).sort((a, b) => compareIds(a.lot.id, b.lot.id));
  for (const { lot, index } of order) {
    const key = groupKey(lot);
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
    }
    group.push({
      lot,
      place: preparePlace(lot.place),
      index,
      expiry: lot.expiresAt ?? Number.POSITIVE_INFINITY,
      daysToExpiry: expiryDays(lot, now),
    });
  }
  return groups;
}

/**
 * Serves one need from `candidates` (lots of its group, in id order), nearest distance band first, then
 * earliest expiry (FEFO), then nearest, then lot id; several lots when one is not enough; lots whose unit value
 * would not be positive are skipped. Decrements `remaining` and returns the allocations.
 */
function serve(
  need: PlanNeed,
  candidates: readonly LotEntry[],
  remaining: number[],
  now: number,
): Allocation[] {
  const out: Allocation[] = [];
  let open = need.quantity;
  if (open <= 0) return out;
  const place = preparePlace(need.place);
  const waited = waitingDays(need, now);
  const pool: { entry: LotEntry; km: number; tier: number }[] = [];
  for (const entry of candidates) {
    if ((remaining[entry.index] ?? 0) <= 0) continue;
    const km = preparedDistanceKm(place, entry.place);
    if (unitValue(need.weight, km, entry.daysToExpiry, waited) <= 0) continue;
    pool.push({ entry, km, tier: distanceTier(km) });
  }
  // Selection rather than a sort: a need is usually covered by its first one or two lots.
  while (open > 0 && pool.length > 0) {
    let best = 0;
    for (let i = 1; i < pool.length; i++) {
      const a = pool[i];
      const b = pool[best];
      if (!a || !b) continue;
      if (
        a.tier < b.tier ||
        (a.tier === b.tier &&
          (a.entry.expiry < b.entry.expiry ||
            (a.entry.expiry === b.entry.expiry &&
              (a.km < b.km || (a.km === b.km && compareIds(a.entry.lot.id, b.entry.lot.id) < 0)))))
      ) {
        best = i;
      }
    }
    const chosen = pool[best];
    if (!chosen) break;
    pool[best] = pool[pool.length - 1] as (typeof pool)[number];
    pool.pop();
    const take = Math.min(open, remaining[chosen.entry.index] ?? 0);
    if (take <= 0) continue;
    remaining[chosen.entry.index] = (remaining[chosen.entry.index] ?? 0) - take;
    open -= take;
    out.push({ needId: need.id, lotId: chosen.entry.lot.id, quantity: take, distanceKm: chosen.km });
  }
  return out;
}

/**
 * Allocations for one newly verified need from the lots' current free stock (`available`), as the online
 * matcher proposes them: compatible lots only, nearest distance band first, then first-expiry-first-out,
 * partial fulfilment across several lots allowed; whatever cannot be covered stays open. `now` (for the
 * expiry and waiting terms, see objective.ts) defaults to the need's receivedAt.
 */
export function matchOne(need: PlanNeed, lots: readonly PlanLot[], options?: PlanOptions): Allocation[] {
  checkInstance([need], lots);
  const now = referenceTime([need], options);
  const candidates = lotEntries(lots, now).get(groupKey(need)) ?? [];
  return serve(
    need,
    candidates,
    lots.map((l) => l.available),
    now,
  );
}

/**
 * The greedy online matcher over a whole instance: needs in order of weight (desc), then receivedAt (asc),
 * then id; each takes what `matchOne` would give it from the stock left by the needs before it.
 */
export function greedyMatch(
  needs: readonly PlanNeed[],
  lots: readonly PlanLot[],
  options?: PlanOptions,
): Plan {
  checkInstance(needs, lots);
  const now = referenceTime(needs, options);
  const groups = lotEntries(lots, now);
  const remaining = lots.map((l) => l.available);
  const allocations: Allocation[] = [];
  for (const need of [...needs].sort(compareNeeds)) {
    const candidates = groups.get(groupKey(need));
    if (candidates) allocations.push(...serve(need, candidates, remaining, now));
  }
  return evaluate(needs, lots, allocations, { now });
}
