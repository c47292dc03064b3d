import { Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { VulnerableGroup as G } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { type PriorityInput, priorityScore } from '../src/domain/priority';

const input = (overrides: Partial<PriorityInput> = {}): PriorityInput => ({
  urgency: Urgency.URGENCY_MEDIUM,
  vulnerableGroups: [],
  peopleAffected: 1,
  waitingHours: 0,
  ...overrides,
});
const score = (overrides: Partial<PriorityInput> = {}) => priorityScore(input(overrides));

describe('priorityScore', () => {
  describe('urgency', () => {
    const rests: [string, Partial<PriorityInput>][] = [
      ['nothing else', {}],
      [
        'a vulnerable family of 4 waiting 5 h',
        { vulnerableGroups: [G.VULNERABLE_GROUP_INFANTS], peopleAffected: 4, waitingHours: 5 },
      ],
      [
        'the largest rest',
        {
          vulnerableGroups: Object.values(G).filter((g) => typeof g === 'number'),
          peopleAffected: 500,
          waitingHours: 100,
        },
      ],
    ];
    it.each(rests)('orders critical > high > medium > low with %s equal', (_case, rest) => {
      const [critical, high, medium, low, unspecified] = [
        Urgency.URGENCY_CRITICAL,
        Urgency.URGENCY_HIGH,
        Urgency.URGENCY_MEDIUM,
        Urgency.URGENCY_LOW,
        Urgency.URGENCY_UNSPECIFIED,
      ].map((urgency) => score({ ...rest, urgency }));
      expect(critical).toBeGreaterThan(high as number);
      expect(high).toBeGreaterThan(medium as number);
      expect(medium).toBeGreaterThan(low as number);
      expect(low).toBeGreaterThan(unspecified as number);
    });

    it.each([
      ['medium', Urgency.URGENCY_MEDIUM],
      ['low', Urgency.URGENCY_LOW],
    ])(
      'a fresh critical request with nothing else outranks a %s one that waited 24 h with everything else',
      (_c, u) => {
        const everything = {
          vulnerableGroups: [G.VULNERABLE_GROUP_ELDERLY_LIVING_ALONE, G.VULNERABLE_GROUP_INFANTS],
          peopleAffected: 10_000,
        };
        expect(score({ urgency: Urgency.URGENCY_CRITICAL })).toBeGreaterThan(
          score({ urgency: u, ...everything, waitingHours: 24 }),
        );
      },
    );

    it('a fresh critical request outranks a low one that waited 24 h, all else equal', () => {
      const rest = { vulnerableGroups: [G.VULNERABLE_GROUP_CHILDREN], peopleAffected: 3 };
      expect(score({ ...rest, urgency: Urgency.URGENCY_CRITICAL })).toBeGreaterThan(
        score({ ...rest, urgency: Urgency.URGENCY_LOW, waitingHours: 24 }),
      );
    });

    it('a fresh critical request outranks a high one that waited just under a day, all else equal', () => {
      const rest = { vulnerableGroups: [G.VULNERABLE_GROUP_DISABLED], peopleAffected: 2 };
      expect(score({ ...rest, urgency: Urgency.URGENCY_CRITICAL })).toBeGreaterThan(
        score({ ...rest, urgency: Urgency.URGENCY_HIGH, waitingHours: 23.9 }),
      );
    });
  });

  describe('vulnerable groups', () => {
    it.each(
      Object.values(G)
        .filter((g): g is G => typeof g === 'number' && g !== G.VULNERABLE_GROUP_UNSPECIFIED)
        .map((g) => [G[g], g] as const),
    )('%s raises the score', (_name, g) => {
      expect(score({ vulnerableGroups: [g] })).toBeGreaterThan(score());
    });

    it('weighs an elderly person living alone more than a low income', () => {
      expect(score({ vulnerableGroups: [G.VULNERABLE_GROUP_ELDERLY_LIVING_ALONE] })).toBeGreaterThan(
        score({ vulnerableGroups: [G.VULNERABLE_GROUP_LOW_INCOME] }),
      );
    });

    it('adds up several groups', () => {
      const one = score({ vulnerableGroups: [G.VULNERABLE_GROUP_LOW_INCOME] });
      const two = score({ vulnerableGroups: [G.VULNERABLE_GROUP_LOW_INCOME, G.VULNERABLE_GROUP_STRANDED] });
      expect(two).toBeGreaterThan(one);
    });

    it('caps them at 15 points', () => {
      const none = score();
      const all = score({ vulnerableGroups: Object.values(G).filter((g): g is G => typeof g === 'number') });
      const two = score({
        vulnerableGroups: [G.VULNERABLE_GROUP_ELDERLY_LIVING_ALONE, G.VULNERABLE_GROUP_INFANTS],
      });
      expect(all - none).toBeCloseTo(15, 5);
      expect(two - none).toBeCloseTo(15, 5);
    });

    it.each([
      [G.VULNERABLE_GROUP_LOW_INCOME],
      [G.VULNERABLE_GROUP_ELDERLY_LIVING_ALONE],
      [G.VULNERABLE_GROUP_CHILDREN],
    ])('counts group %p once when listed twice', (g) => {
      expect(score({ vulnerableGroups: [g, g] })).toBe(score({ vulnerableGroups: [g] }));
      expect(score({ vulnerableGroups: [g, g, g] })).toBe(score({ vulnerableGroups: [g] }));
    });

    it('ignores an unspecified group', () => {
      expect(score({ vulnerableGroups: [G.VULNERABLE_GROUP_UNSPECIFIED] })).toBe(score());
    });
  });

  describe('people affected', () => {
    it.each([
      [1, 2],
      [2, 4],
      [4, 8],
    ])('%p < %p people raises the score', (fewer, more) => {
      expect(score({ peopleAffected: more })).toBeGreaterThan(score({ peopleAffected: fewer }));
    });

    it('grows logarithmically: each doubling adds the same', () => {
      const d1 = score({ peopleAffected: 2 }) - score({ peopleAffected: 1 });
      const d2 = score({ peopleAffected: 4 }) - score({ peopleAffected: 2 });
      const d3 = score({ peopleAffected: 8 }) - score({ peopleAffected: 4 });
      expect(d1).toBeGreaterThan(0);
      expect(d2).toBeCloseTo(d1, 1);
      expect(d3).toBeCloseTo(d1, 1);
      // not linear: going from 1 to 8 adds only three times what going from 1 to 2 does
      expect(score({ peopleAffected: 8 }) - score({ peopleAffected: 1 })).toBeCloseTo(3 * d1, 1);
    });

    it('is capped at 10 points', () => {
      const one = score({ peopleAffected: 1 });
      expect(score({ peopleAffected: 100 }) - one).toBeCloseTo(10, 5);
      expect(score({ peopleAffected: 10_000 })).toBe(score({ peopleAffected: 100 }));
      expect(score({ peopleAffected: 1_000_000 })).toBe(score({ peopleAffected: 100 }));
    });

    it.each([0, -5])('treats %p people as one (never lowers the score)', (n) => {
      expect(score({ peopleAffected: n })).toBe(score({ peopleAffected: 1 }));
    });
  });

  describe('waiting time', () => {
    it.each([
      [0, 1],
      [1, 12],
      [12, 24],
      [24, 47],
    ])('waiting %p h < %p h raises the score', (shorter, longer) => {
      expect(score({ waitingHours: longer })).toBeGreaterThan(score({ waitingHours: shorter }));
    });

    it('adds 10 points after 24 h and 20 after 48 h', () => {
      expect(score({ waitingHours: 24 }) - score()).toBeCloseTo(10, 5);
      expect(score({ waitingHours: 48 }) - score()).toBeCloseTo(20, 5);
    });

    it.each([49, 72, 1000])('is capped at 20 points after 48 h (%p h)', (h) => {
      expect(score({ waitingHours: h })).toBe(score({ waitingHours: 48 }));
    });

    it('never lowers the score for a negative waiting time (clock skew)', () => {
      expect(score({ waitingHours: -10 })).toBe(score({ waitingHours: 0 }));
    });
  });

  describe('range', () => {
    const urgencies = [
      Urgency.URGENCY_UNSPECIFIED,
      Urgency.URGENCY_LOW,
      Urgency.URGENCY_MEDIUM,
      Urgency.URGENCY_HIGH,
      Urgency.URGENCY_CRITICAL,
    ];
    const groups = [
      [],
      [G.VULNERABLE_GROUP_LOW_INCOME],
      Object.values(G).filter((g): g is G => typeof g === 'number'),
    ];
    const people = [0, 1, 7, 10_000];
    const waits = [-5, 0, 30, 10_000];
    const grid = urgencies.flatMap((urgency) =>
      groups.flatMap((vulnerableGroups) =>
        people.flatMap((peopleAffected) =>
          waits.map(
            (waitingHours) =>
              [
                `urgency ${urgency}, ${vulnerableGroups.length} groups, ${peopleAffected} people, ${waitingHours} h`,
                { urgency, vulnerableGroups, peopleAffected, waitingHours },
              ] as const,
          ),
        ),
      ),
    );

    it.each(grid)('stays within [0, 100] with one decimal: %s', (_label, p) => {
      const s = priorityScore(p);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(100);
      expect(Math.round(s * 10)).toBeCloseTo(s * 10, 6);
    });

    it('is 0 for an unspecified urgency with nothing else', () => {
      expect(score({ urgency: Urgency.URGENCY_UNSPECIFIED })).toBe(0);
    });

    it('is 100 at most when everything is at its maximum', () => {
      expect(
        score({
          urgency: Urgency.URGENCY_CRITICAL,
          vulnerableGroups: Object.values(G).filter((g): g is G => typeof g === 'number'),
          peopleAffected: 10_000,
          waitingHours: 1_000,
        }),
      ).toBe(100);
    });

    it('is deterministic and does not depend on the order of the groups', () => {
      const a = score({ vulnerableGroups: [G.VULNERABLE_GROUP_CHILDREN, G.VULNERABLE_GROUP_STRANDED] });
      const b = score({ vulnerableGroups: [G.VULNERABLE_GROUP_STRANDED, G.VULNERABLE_GROUP_CHILDREN] });
      expect(a).toBe(b);
    });
  });
});
