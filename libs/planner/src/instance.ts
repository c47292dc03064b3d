import type { PlanLot, PlanNeed, PlanOptions } from './types';

/** An invalid instance (needs, lots) or an invalid plan for it. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** The (category, unit) group of a need or lot: only members of one group are `compatible`. */
export function groupKey(item: { category: number; unit: string }): string {
  return `${item.category}\u0000${item.unit}`;
}

/**
 * The instant "days until expiry" and "days waited" are measured from: `options.now` when given (the services
 * pass their clock), else the latest `receivedAt` among the needs (the newest information the instance holds),
 * else 0. Pure: never reads the clock.
 */
export function referenceTime(needs: readonly PlanNeed[], options?: PlanOptions): number {
  if (options?.now !== undefined) return options.now;
  let now = Number.NEGATIVE_INFINITY;
  for (const n of needs) if (n.receivedAt > now) now = n.receivedAt;
  return Number.isFinite(now) ? now : 0;
}

/** Whole units: a safe integer ≥ 0. Zero is allowed on input (nothing to do) and skipped by the matchers. */
function isUnits(q: number): boolean {
  return Number.isSafeInteger(q) && q >= 0;
}

/**
 * Checks an instance: unique ids per side, whole non-negative quantities, finite positive weights, finite
 * times. Throws a PlanError naming the first problem. Linear time.
 */
export function checkInstance(needs: readonly PlanNeed[], lots: readonly PlanLot[]): void {
  const needIds = new Set<string>();
  for (const n of needs) {
    if (needIds.has(n.id)) throw new PlanError(`need ${n.id}: duplicate id`);
    needIds.add(n.id);
    if (!isUnits(n.quantity)) throw new PlanError(`need ${n.id}: quantity must be a whole number ≥ 0`);
    if (!(Number.isFinite(n.weight) && n.weight > 0)) throw new PlanError(`need ${n.id}: weight must be > 0`);
    if (!Number.isFinite(n.receivedAt)) throw new PlanError(`need ${n.id}: receivedAt must be finite`);
  }
  const lotIds = new Set<string>();
  for (const l of lots) {
    if (lotIds.has(l.id)) throw new PlanError(`lot ${l.id}: duplicate id`);
    lotIds.add(l.id);
    if (!isUnits(l.available)) throw new PlanError(`lot ${l.id}: available must be a whole number ≥ 0`);
    if (l.expiresAt !== undefined && !Number.isFinite(l.expiresAt)) {
      throw new PlanError(`lot ${l.id}: expiresAt must be finite when set`);
    }
  }
}

/** Greedy's order of needs, also the optimiser's canonical order: weight desc, receivedAt asc, id asc. */
export function compareNeeds(a: PlanNeed, b: PlanNeed): number {
  if (a.weight !== b.weight) return b.weight - a.weight;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt - b.receivedAt;
  return compareIds(a.id, b.id);
}

/** Code-unit order: the same on every machine and locale (unlike localeCompare). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
