import type { Allocation, Place, PlanLot, PlanNeed } from '@nuanyang/planner';

/** The reference instant of every hand-made instance: days are measured from here. */
export const T0 = Date.UTC(2022, 0, 5, 8, 0, 0);
export const DAY = 86_400_000;

/** A place `km` kilometres north of a fixed point in Yanta (on one meridian, so distances add up). */
export function north(km: number, district = 'yanta', community = ''): Place {
  return { district, community, coordinates: { latitude: 34.2 + km / 111.19508, longitude: 108.95 } };
}

/** A place without coordinates: distances fall back to the tiers (1 / 8 / 30 km). */
export function at(district: string, community: string): Place {
  return { district, community };
}

export function need(id: string, fields: Partial<PlanNeed> = {}): PlanNeed {
  return {
    id,
    category: 1,
    unit: 'kg',
    quantity: 1,
    weight: 1,
    place: at('yanta', 'a'),
    receivedAt: T0,
    ...fields,
  };
}

export function lot(id: string, fields: Partial<PlanLot> = {}): PlanLot {
  return {
    id,
    category: 1,
    unit: 'kg',
    available: 1,
    place: at('yanta', 'a'),
    supplierId: `supplier-${id}`,
    ...fields,
  };
}

/** Allocations as sorted `need<-lot:quantity` strings, for order-free comparison. */
export function pairs(allocations: readonly Allocation[]): string[] {
  return allocations.map((a) => `${a.needId}<-${a.lotId}:${a.quantity}`).sort();
}
