import {
  distanceKm,
  distanceTier,
  EARTH_RADIUS_KM,
  ELSEWHERE_KM,
  SAME_COMMUNITY_KM,
  SAME_DISTRICT_KM,
} from '@nuanyang/planner';
import { at, north } from './helpers';

describe('distanceKm', () => {
  it('is the great circle when both places have coordinates', () => {
    const oneDegree = (Math.PI / 180) * EARTH_RADIUS_KM;
    const a = { district: 'yanta', community: '', coordinates: { latitude: 34, longitude: 108.9 } };
    const b = { district: 'yanta', community: '', coordinates: { latitude: 35, longitude: 108.9 } };
    expect(distanceKm(a, b)).toBeCloseTo(oneDegree, 9);
    expect(distanceKm(b, a)).toBe(distanceKm(a, b));
    expect(distanceKm(a, a)).toBe(0);
    // Bell Tower (Beilin) to the Big Wild Goose Pagoda (Yanta): about 4.9 km.
    const bellTower = {
      district: 'beilin',
      community: '',
      coordinates: { latitude: 34.2611, longitude: 108.9423 },
    };
    const pagoda = {
      district: 'yanta',
      community: '',
      coordinates: { latitude: 34.2192, longitude: 108.9594 },
    };
    expect(distanceKm(bellTower, pagoda)).toBeGreaterThan(4.8);
    expect(distanceKm(bellTower, pagoda)).toBeLessThan(5);
  });

  it('uses coordinates even across districts and communities', () => {
    expect(distanceKm(north(0, 'yanta', 'a'), north(2.5, 'beilin', 'b'))).toBeCloseTo(2.5, 6);
  });

  it('falls back to tiers when either side has no coordinates: community < district < elsewhere', () => {
    expect(SAME_COMMUNITY_KM).toBeLessThan(SAME_DISTRICT_KM);
    expect(SAME_DISTRICT_KM).toBeLessThan(ELSEWHERE_KM);
    expect(distanceKm(at('yanta', 'a'), at('yanta', 'a'))).toBe(SAME_COMMUNITY_KM);
    expect(distanceKm(at('yanta', 'a'), at('yanta', 'b'))).toBe(SAME_DISTRICT_KM);
    expect(distanceKm(at('yanta', 'a'), at('beilin', 'a'))).toBe(ELSEWHERE_KM);
    // One side geocoded is not enough.
    expect(distanceKm(north(0, 'yanta', 'a'), at('yanta', 'a'))).toBe(SAME_COMMUNITY_KM);
  });

  it('never treats unknown (empty) districts or communities as the same', () => {
    expect(distanceKm(at('yanta', ''), at('yanta', ''))).toBe(SAME_DISTRICT_KM);
    expect(distanceKm(at('', ''), at('', ''))).toBe(ELSEWHERE_KM);
  });
});

describe('distanceTier', () => {
  it('bands: community, district, then doubling', () => {
    expect([0, 1, 2, 2.01, 8, 10, 10.5, 20, 21, 30, 40, 41, 80, 81].map(distanceTier)).toEqual([
      0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5,
    ]);
    expect(distanceTier(SAME_COMMUNITY_KM)).toBeLessThan(distanceTier(SAME_DISTRICT_KM));
    expect(distanceTier(SAME_DISTRICT_KM)).toBeLessThan(distanceTier(ELSEWHERE_KM));
  });
});
