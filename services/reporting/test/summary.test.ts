import type { Fact } from '../src/domain/facts';
import { summarise } from '../src/domain/summary';
import { ANY, dur, FACTS, filter, fold, food, H, M, medicine, NOW, shuffled, T0 } from './fixtures';

/** Every table twice: with every case open, and with each final case closed into the cells at once. */
describe.each([
  ['open cases', Infinity],
  ['closed cases, read from the cells', 0],
])('%s', (_mode, closeAfter) => {
  const of = (facts: Fact[]) => fold(facts, closeAfter);

  describe('summary', () => {
    it('counts every figure by the definitions', () => {
      expect(summarise(of(FACTS), ANY, NOW)).toEqual({
        asOf: new Date(T0 + 10 * H + 2 * M),
        requests: {
          collected: 5,
          verified: 2,
          rejected: 1,
          duplicates: 0,
          unreachable: 0,
          cancelled: 1,
          matched: 2,
          fulfilled: 1,
          // r1 as verified: 3 people, not the 2 received.
          peopleHelped: 3,
          // verified critical requests only: r5 is critical but not verified.
          emergencyResponses: 3,
        },
        supplies: [
          {
            category: food,
            quantities: [{ amount: 40, unit: 'box' }],
            value: { currencyCode: 'CNY', minorUnits: 180_000 },
            deliveries: 1,
          },
        ],
        suppliesValue: { currencyCode: 'CNY', minorUnits: 180_000 },
        districtsReached: 1,
        communitiesReached: 1,
        activeVolunteers: 2,
        volunteerHours: 1.5,
        timeToVerify: { samples: 2, p50: dur(30 * M), p90: dur(2 * H) },
        timeToMatch: { samples: 2, p50: dur(H), p90: dur(1.5 * H) },
        timeToDeliver: { samples: 1, p50: dur(8 * H), p90: dur(8 * H) },
        // t2 verified and t3 rejected after due_at, t5 open past it; t4's request was cancelled.
        sla: { verificationBreaches: 3, deliveryTimeouts: 1, verificationOverdueNow: 1 },
      });
    });

    it('does not depend on the order the facts arrive in', () => {
      const expected = summarise(of(FACTS), ANY, NOW);
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        expect(summarise(of(shuffled(FACTS, seed)), ANY, NOW)).toEqual(expected);
      }
      // A fact seen twice (another replica's copy of the same event) counts once.
      expect(summarise(of([...FACTS, ...FACTS]), ANY, NOW)).toEqual(expected);
    });

    it('counts a fulfilment seen before the request was received, and places it once it is', () => {
      const early = FACTS.filter((f) => f.kind !== 'received');
      const s = summarise(of(early), filter({ districts: ['huyi'] }), NOW);
      expect(s.requests?.fulfilled).toBe(1);
      expect(s.requests?.collected).toBe(0);
    });

    it('is empty for no facts, with no percentiles', () => {
      const s = summarise(of([]), ANY, NOW);
      expect(s.asOf).toBeUndefined();
      expect(s.requests?.collected).toBe(0);
      expect(s.timeToVerify).toEqual({ samples: 0, p50: undefined, p90: undefined });
    });

    it.each([
      [
        'districts',
        filter({ districts: ['yanta'] }),
        { collected: 2, verified: 1, rejected: 1, matched: 1, fulfilled: 0 },
      ],
      [
        'category',
        filter({ category: medicine }),
        { collected: 1, verified: 1, rejected: 0, matched: 1, fulfilled: 0 },
      ],
      [
        'submitting organisation',
        filter({ organisationId: 'org-other' }),
        { collected: 2, verified: 0, rejected: 1, matched: 0, fulfilled: 0 },
      ],
      [
        'supplying organisation',
        filter({ organisationId: 'org-donor' }),
        { collected: 1, verified: 1, rejected: 0, matched: 1, fulfilled: 1 },
      ],
      [
        'time range',
        filter({ from: T0 + H, to: T0 + 3 * H }),
        { collected: 2, verified: 0, rejected: 1, matched: 1, fulfilled: 0 },
      ],
    ])('filters by %s', (_what, f, expected) => {
      expect(summarise(of(FACTS), f, NOW).requests).toMatchObject(expected);
    });

    it('counts supplies of a supplier, and hours of a volunteer organisation, under the organisation filter', () => {
      const donor = summarise(of(FACTS), filter({ organisationId: 'org-donor' }), NOW);
      expect(donor.suppliesValue?.minorUnits).toBe(180_000);
      expect(donor.volunteerHours).toBe(0);
      const volunteers = summarise(of(FACTS), filter({ organisationId: 'org-volunteers' }), NOW);
      expect(volunteers.volunteerHours).toBe(1.5);
      expect(volunteers.suppliesValue?.minorUnits).toBe(0);
    });

    it('counts an open task as overdue only once its due time has passed', () => {
      const s = summarise(of(FACTS), ANY, T0 + 4 * H + 10 * M);
      expect(s.sla).toEqual({ verificationBreaches: 2, deliveryTimeouts: 1, verificationOverdueNow: 0 });
    });
  });
});
