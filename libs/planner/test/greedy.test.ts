import { greedyMatch, matchOne } from '@nuanyang/planner';
import { at, DAY, lot, need, pairs, T0 } from './helpers';

describe('greedyMatch', () => {
  it('serves the heavier need first, then the older one', () => {
    const needs = [
      need('old-light', { weight: 1, receivedAt: T0 - 5 * DAY }),
      need('new-heavy', { weight: 3, receivedAt: T0 }),
      need('old-heavy', { weight: 3, receivedAt: T0 - DAY }),
    ];
    const plan = greedyMatch(needs, [lot('l', { available: 1 })]);
    expect(pairs(plan.allocations)).toEqual(['old-heavy<-l:1']);
  });

  it('takes the nearest distance band first, then the earliest expiry within a band (FEFO)', () => {
    const n = need('n', { quantity: 3, place: at('yanta', 'a') });
    const lots = [
      lot('district-soon', { place: at('yanta', 'b'), expiresAt: T0 + DAY, available: 5 }),
      lot('here-late', { place: at('yanta', 'a'), expiresAt: T0 + 20 * DAY, available: 1 }),
      lot('here-never', { place: at('yanta', 'a'), available: 1 }),
      lot('here-soon', { place: at('yanta', 'a'), expiresAt: T0 + 2 * DAY, available: 1 }),
    ];
    expect(matchOne(n, lots, { now: T0 }).map((a) => a.lotId)).toEqual([
      'here-soon',
      'here-late',
      'here-never',
    ]);
  });

  it('covers a need partly from two donors and leaves the remainder open', () => {
    const n = need('n', { quantity: 10 });
    const lots = [
      lot('a', { available: 4, supplierId: 'donor-a' }),
      lot('b', { available: 3, supplierId: 'donor-b', place: at('yanta', 'b') }),
    ];
    const plan = greedyMatch([n], lots);
    expect(pairs(plan.allocations)).toEqual(['n<-a:4', 'n<-b:3']);
    expect(plan.weightedFulfilment).toBeCloseTo(0.7, 12);
    expect(plan.unitKm).toBe(4 * 1 + 3 * 8);
  });

  it('shares stock between needs: the second need gets what the first left', () => {
    const needs = [need('first', { quantity: 3, weight: 2 }), need('second', { quantity: 3 })];
    const plan = greedyMatch(needs, [lot('l', { available: 4 })]);
    expect(pairs(plan.allocations)).toEqual(['first<-l:3', 'second<-l:1']);
  });

  it('never pairs an incompatible category or unit', () => {
    const n = need('n', { category: 1, unit: 'kg', quantity: 5 });
    const lots = [
      lot('bags', { category: 1, unit: 'bag', available: 9 }),
      lot('water', { category: 3, unit: 'kg' }),
    ];
    expect(matchOne(n, lots)).toEqual([]);
    expect(greedyMatch([n], lots).allocations).toEqual([]);
  });

  it('matchOne reads the current free stock and changes nothing', () => {
    const lots = [lot('l', { available: 2 })];
    const allocations = matchOne(need('n', { quantity: 5 }), lots);
    expect(allocations).toEqual([{ needId: 'n', lotId: 'l', quantity: 2, distanceKm: 1 }]);
    expect(lots[0]?.available).toBe(2);
    expect(matchOne(need('n'), [])).toEqual([]);
  });
});
