import { Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { planScenario, truthOf } from '../src';
import { food, insulin, request, rice } from './requests';

describe('truthOf', () => {
  it('counts each request by the stages it reaches and supplies by what was delivered', () => {
    const truth = truthOf([
      // Delivered in full: fulfilled, 3 people helped; critical, so 3 emergency responses.
      request('a', { peopleAffected: 3, urgency: Urgency.URGENCY_CRITICAL }),
      // Two needs from two donors: two tasks, both delivered.
      request('b', {
        needs: [
          { ...food, amount: 4 },
          { ...rice, amount: 2 },
        ],
        community: '小寨社区',
      }),
      // Food delivered, insulin never donated: matched and reached, not fulfilled.
      request('c', {
        needs: [
          { ...food, amount: 5 },
          { ...insulin, amount: 1 },
        ],
        district: 'huyi',
      }),
      // Only insulin: verified, never matched.
      request('d', {
        needs: [{ ...insulin, amount: 2 }],
        urgency: Urgency.URGENCY_CRITICAL,
        peopleAffected: 4,
      }),
      // The volunteer could not get in: matched, not fulfilled, nothing delivered.
      request('e', { delivery: 'failed', district: 'lianhu' }),
      request('f', { delivery: 'declined-then-delivered', needs: [{ ...rice, amount: 3 }] }),
      request('g', { verification: 'rejected' }),
      request('h', { verification: 'duplicate', duplicateOf: 'a' }),
      request('i', { verification: 'unreachable' }),
    ]);
    expect(truth).toEqual({
      collected: 9,
      verified: 6,
      rejected: 1,
      duplicates: 1,
      unreachable: 1,
      matched: 5,
      fulfilled: 3,
      peopleHelped: 3 + 2 + 2,
      emergencyResponses: 3 + 4,
      supplies: [
        { category: food.category, unit: 'box', quantity: 10 + 4 + 5, value: 19 * 3500, deliveries: 3 },
        { category: rice.category, unit: 'bag', quantity: 2 + 3, value: 5 * 6000, deliveries: 2 },
      ],
      suppliesValue: 19 * 3500 + 5 * 6000,
      districtsReached: 2,
      communitiesReached: 3,
      deliveryTasks: 6,
      deliveriesCompleted: 5,
      deliveriesFailed: 1,
      declines: 1,
    });
  });
});

describe('planScenario', () => {
  const scenario = planScenario({ requests: 240, seed: 7 });

  it('is the same plan for the same seed, and another for another seed', () => {
    expect(planScenario({ requests: 240, seed: 7 })).toEqual(scenario);
    expect(planScenario({ requests: 240, seed: 8 }).requests).not.toEqual(scenario.requests);
  });

  it('holds every case the platform must handle', () => {
    const { requests, truth } = scenario;
    for (const fate of ['verified', 'rejected', 'duplicate', 'unreachable'] as const)
      expect(requests.filter((r) => r.verification === fate).length).toBeGreaterThan(5);
    expect(truth.matched).toBeLessThan(truth.verified);
    expect(truth.fulfilled).toBeLessThan(truth.matched);
    expect(truth.deliveriesFailed).toBeGreaterThan(0);
    expect(truth.declines).toBeGreaterThan(0);
    expect(new Set(requests.map((r) => r.district)).size).toBeGreaterThanOrEqual(6);
  });

  it('makes duplicates repeat an earlier genuine request in the same district', () => {
    const byKey = new Map(scenario.requests.map((r, i) => [r.key, { r, i }]));
    for (const [i, r] of scenario.requests.entries()) {
      if (r.verification !== 'duplicate') continue;
      const original = byKey.get(r.duplicateOf!)!;
      expect(original.i).toBeLessThan(i);
      expect(original.r).toMatchObject({ verification: 'verified', district: r.district });
    }
  });

  it('stocks every stocked need and gives every district at least two volunteers', () => {
    for (const offer of scenario.offers) {
      const asked = scenario.requests
        .flatMap((r) => r.needs)
        .filter((n) => n.category === offer.category)
        .reduce((sum, n) => sum + n.amount, 0);
      expect(offer.amount).toBeGreaterThanOrEqual(asked);
    }
    for (const district of new Set(scenario.requests.map((r) => r.district)))
      expect(scenario.volunteers.filter((v) => v.districts.includes(district)).length).toBeGreaterThanOrEqual(
        2,
      );
  });

  it('refuses a scenario too small to hold every case', () => {
    expect(() => planScenario({ requests: 5 })).toThrow('requests must be an integer ≥ 20, got 5');
  });
});
