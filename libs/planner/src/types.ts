/**
 * The matching problem, free of protobuf and I/O: open needs on one side, free stock lots on the other.
 * Quantities are whole units of the need's unit (a lot only serves needs of its category and unit).
 */

export interface Place {
  district: string;
  community: string;
  /** Present when the location was geocoded; distances then use great-circle kilometres. */
  coordinates?: { latitude: number; longitude: number } | undefined;
}

export interface PlanNeed {
  /** Unique per need line, e.g. `<helpRequestId>/<needId>`. */
  id: string;
  category: number;
  unit: string;
  /** Units still to cover (> 0). */
  quantity: number;
  /** Urgency weight (> 0): one unit of this need is worth `weight` in the objective. */
  weight: number;
  place: Place;
  /** Epoch ms the request arrived (older first among equals). */
  receivedAt: number;
}

export interface PlanLot {
  id: string;
  category: number;
  unit: string;
  /** Units free to allocate (> 0). */
  available: number;
  /** Epoch ms the goods expire; undefined for goods that do not. First-expiry-first-out prefers earlier. */
  expiresAt?: number | undefined;
  place: Place;
  supplierId: string;
}

export interface Allocation {
  needId: string;
  lotId: string;
  quantity: number;
  distanceKm: number;
}

export interface Plan {
  allocations: Allocation[];
  /** The objective value of the plan (see objective.ts). */
  objective: number;
  /** Σ weight × allocated units / Σ weight × needed units, in [0, 1]. */
  weightedFulfilment: number;
  /** Σ units × distance over allocations. */
  unitKm: number;
}

/** Options shared by every planner function. */
export interface PlanOptions {
  /**
   * Epoch ms that "days until expiry" and "days waited" are measured from. Services pass their clock; when
   * omitted, the latest `receivedAt` among the needs (see `referenceTime`), so the functions stay pure.
   */
  now?: number | undefined;
}
