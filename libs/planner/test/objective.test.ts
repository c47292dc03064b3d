import {
  DISTANCE_CAP_KM,
  EXPIRY_PENALTY_PER_DAY,
  edgeValue,
  evaluate,
  FULFILMENT_VALUE,
  HORIZON_DAYS,
  PlanError,
  WAITING_BONUS_PER_DAY,
} from '@nuanyang/planner';
import { at, DAY, lot, need, north, T0 } from './helpers';

describe('edgeValue', () => {
  it('is weight × M − km − ε × days to expiry + ω × days waited', () => {
    const n = need('n', { weight: 2, place: at('yanta', 'a'), receivedAt: T0 - 3 * DAY });
    const l = lot('l', { place: at('yanta', 'b'), expiresAt: T0 + 10 * DAY });
    expect(edgeValue(n, l, T0)).toBeCloseTo(
      2 * FULFILMENT_VALUE - 8 - EXPIRY_PENALTY_PER_DAY * 10 + WAITING_BONUS_PER_DAY * 3,
      9,
    );
  });

  it('clamps expiry and waiting to the horizon; goods that never expire count the whole horizon', () => {
    const n = need('n', { receivedAt: T0 - 1000 * DAY });
    const never = edgeValue(n, lot('l'), T0);
    expect(never).toBeCloseTo(
      FULFILMENT_VALUE - 1 - EXPIRY_PENALTY_PER_DAY * HORIZON_DAYS + WAITING_BONUS_PER_DAY * HORIZON_DAYS,
      9,
    );
    expect(edgeValue(n, lot('l', { expiresAt: T0 + 5000 * DAY }), T0)).toBe(never);
    // Already past its date: as urgent as it gets, not a bonus beyond that.
    expect(edgeValue(n, lot('l', { expiresAt: T0 - 2 * DAY }), T0)).toBe(
      edgeValue(n, lot('l', { expiresAt: T0 }), T0),
    );
  });

  it('prefers the earlier expiry (FEFO) when everything else is equal', () => {
    const n = need('n');
    expect(edgeValue(n, lot('soon', { expiresAt: T0 + DAY }), T0)).toBeGreaterThan(
      edgeValue(n, lot('later', { expiresAt: T0 + 30 * DAY }), T0),
    );
  });

  it('never pairs a lot of another category or unit', () => {
    const n = need('n', { category: 1, unit: 'kg' });
    expect(edgeValue(n, lot('l', { category: 2, unit: 'kg' }), T0)).toBe(Number.NEGATIVE_INFINITY);
    expect(edgeValue(n, lot('l', { category: 1, unit: 'bag' }), T0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('lets a 0.1 step of weight outweigh any distance, and caps distance', () => {
    const far = lot('far', { place: north(3000) });
    const heavierFar = edgeValue(need('a', { weight: 1.1, place: north(0) }), far, T0);
    const lighterNear = edgeValue(need('b', { weight: 1, place: north(3000) }), far, T0);
    expect(heavierFar).toBeGreaterThan(lighterNear);
    expect(heavierFar).toBeCloseTo(
      1.1 * FULFILMENT_VALUE - DISTANCE_CAP_KM - EXPIRY_PENALTY_PER_DAY * 365,
      6,
    );
    // Every compatible unit is worth serving.
    expect(edgeValue(need('c', { weight: 0.1, place: north(0) }), far, T0)).toBeGreaterThan(0);
  });
});

describe('evaluate', () => {
  const needs = [
    need('n1', { quantity: 3, weight: 2 }),
    need('n2', { quantity: 2, place: at('yanta', 'b') }),
  ];
  const lots = [lot('l1', { available: 4 }), lot('l2', { available: 1, place: at('beilin', 'x') })];

  it('scores a valid plan and recomputes distances', () => {
    const plan = evaluate(
      needs,
      lots,
      [
        { needId: 'n1', lotId: 'l1', quantity: 3, distanceKm: -1 },
        { needId: 'n2', lotId: 'l1', quantity: 1, distanceKm: 0 },
        { needId: 'n2', lotId: 'l2', quantity: 1, distanceKm: 0 },
      ],
      { now: T0 },
    );
    expect(plan.allocations.map((a) => a.distanceKm)).toEqual([1, 8, 30]);
    expect(plan.unitKm).toBe(3 * 1 + 8 + 30);
    expect(plan.weightedFulfilment).toBe(1);
    const fefo = EXPIRY_PENALTY_PER_DAY * HORIZON_DAYS;
    expect(plan.objective).toBeCloseTo(
      3 * (2 * FULFILMENT_VALUE - 1 - fefo) + (FULFILMENT_VALUE - 8 - fefo) + (FULFILMENT_VALUE - 30 - fefo),
      6,
    );
  });

  it('reports weighted fulfilment of a partial plan and of an empty one', () => {
    const plan = evaluate(needs, lots, [{ needId: 'n2', lotId: 'l1', quantity: 2, distanceKm: 8 }], {
      now: T0,
    });
    expect(plan.weightedFulfilment).toBeCloseTo((2 * 1) / (3 * 2 + 2 * 1), 12);
    expect(evaluate(needs, lots, []).weightedFulfilment).toBe(0);
    expect(evaluate([], lots, []).weightedFulfilment).toBe(1);
  });

  it.each([
    [
      'an over-allocated lot',
      [
        { needId: 'n1', lotId: 'l2', quantity: 1 },
        { needId: 'n2', lotId: 'l2', quantity: 1 },
      ],
      /lot l2: allocated 2 > available 1/,
    ],
    [
      'an over-covered need',
      [
        { needId: 'n2', lotId: 'l1', quantity: 2 },
        { needId: 'n2', lotId: 'l2', quantity: 1 },
      ],
      /need n2: covered 3 > needed 2/,
    ],
    ['a fractional quantity', [{ needId: 'n1', lotId: 'l1', quantity: 1.5 }], /whole number/],
    ['a zero quantity', [{ needId: 'n1', lotId: 'l1', quantity: 0 }], /whole number/],
    ['an unknown need', [{ needId: 'n9', lotId: 'l1', quantity: 1 }], /unknown need/],
    ['an unknown lot', [{ needId: 'n1', lotId: 'l9', quantity: 1 }], /unknown lot/],
    [
      'a repeated pair',
      [
        { needId: 'n1', lotId: 'l1', quantity: 1 },
        { needId: 'n1', lotId: 'l1', quantity: 1 },
      ],
      /twice/,
    ],
  ])('rejects %s', (_name, allocations, message) => {
    const full = allocations.map((a) => ({ ...a, distanceKm: 0 }));
    expect(() => evaluate(needs, lots, full)).toThrow(PlanError);
    expect(() => evaluate(needs, lots, full)).toThrow(message);
  });

  it('rejects an incompatible pair', () => {
    const other = [...lots, lot('water', { category: 3, unit: 'bottle', available: 9 })];
    expect(() =>
      evaluate(needs, other, [{ needId: 'n1', lotId: 'water', quantity: 1, distanceKm: 0 }]),
    ).toThrow(/cannot serve/);
  });

  it('rejects an invalid instance', () => {
    expect(() => evaluate([need('a'), need('a')], [], [])).toThrow(/duplicate id/);
    expect(() => evaluate([need('a', { weight: 0 })], [], [])).toThrow(/weight/);
    expect(() => evaluate([], [lot('l', { available: -1 })], [])).toThrow(/available/);
  });
});
