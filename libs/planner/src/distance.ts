import type { Place } from './types';

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;

/**
 * Stand-in distances when either side has no coordinates. Xi'an's districts are roughly 10 km across
 * (libs/common/src/districts.ts: the six central ones have centres 3–8 km apart), so two places in one
 * district are on average ~8 km apart, a community (a few blocks) ~1 km, and "elsewhere" in the city ~30 km
 * (central to suburban district; the outlying counties are further, but without coordinates we cannot tell).
 * The only property the matcher relies on: same community < same district < elsewhere.
 */
export const SAME_COMMUNITY_KM = 1;
export const SAME_DISTRICT_KM = 8;
export const ELSEWHERE_KM = 30;

/** A place reduced to what distances need: a unit vector on the sphere (when geocoded), district, community. */
export interface PreparedPlace {
  geocoded: boolean;
  x: number;
  y: number;
  z: number;
  district: string;
  community: string;
}

const RAD = Math.PI / 180;

export function preparePlace(place: Place): PreparedPlace {
  const c = place.coordinates;
  if (c && Number.isFinite(c.latitude) && Number.isFinite(c.longitude)) {
    const phi = c.latitude * RAD;
    const lambda = c.longitude * RAD;
    const cosPhi = Math.cos(phi);
    return {
      geocoded: true,
      x: cosPhi * Math.cos(lambda),
      y: cosPhi * Math.sin(lambda),
      z: Math.sin(phi),
      district: place.district,
      community: place.community,
    };
  }
  return { geocoded: false, x: 0, y: 0, z: 0, district: place.district, community: place.community };
}

/**
 * The distance between two prepared places; `distanceKm` is this on freshly prepared places, so the optimiser
 * (which prepares each place once) computes bit-for-bit the same numbers as everyone else.
 */
export function preparedDistanceKm(a: PreparedPlace, b: PreparedPlace): number {
  if (a.geocoded && b.geocoded) {
    // Great circle from the chord between the unit vectors: d = 2R·asin(|a − b| / 2). Well-conditioned for
    // short distances (unlike the spherical law of cosines), and no trigonometry per pair beyond one asin.
    const dx = a.x - b.x;
    const dy = a.y - b.y;
    const dz = a.z - b.z;
    const halfChord = Math.sqrt(dx * dx + dy * dy + dz * dz) / 2;
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, halfChord));
  }
  if (a.district !== '' && a.district === b.district) {
    return a.community !== '' && a.community === b.community ? SAME_COMMUNITY_KM : SAME_DISTRICT_KM;
  }
  return ELSEWHERE_KM;
}

/**
 * Great-circle kilometres when both places have coordinates; otherwise the tiered stand-in: 1 km in the same
 * community (of the same district), 8 km in the same district, 30 km elsewhere. An empty district or
 * community never counts as "the same".
 */
export function distanceKm(a: Place, b: Place): number {
  return preparedDistanceKm(preparePlace(a), preparePlace(b));
}

/**
 * Coarse distance bands for the greedy matcher, which takes the nearest band first and, within a band, the
 * earliest expiry: 0 = up to 2 km (a community), 1 = up to 10 km (a district), then doubling bands
 * (2 = up to 20 km, 3 = up to 40 km, 4 = up to 80 km, ...). The stand-ins fall into bands 0, 1 and 3.
 */
export function distanceTier(km: number): number {
  if (km <= 2) return 0;
  if (km <= 10) return 1;
  return 1 + Math.ceil(Math.log2(km / 10));
}
