import { Durations, durationFigure, EXACT_PER_CELL, percentile } from '../src/domain/percentiles';

describe('percentile (nearest rank)', () => {
  it.each([
    [[], 0.5, undefined],
    [[7], 0.5, 7],
    [[7], 0.9, 7],
    [[1, 2], 0.5, 1],
    [[1, 2], 0.9, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9, 10],
  ])('%j at %d is %s', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('durations of a cell', () => {
  it('holds a few exactly, then as a sketch, and takes values out again either way', () => {
    const d = new Durations();
    for (let i = 1; i <= EXACT_PER_CELL; i++) d.add(i * 1000);
    expect(d.values).toHaveLength(EXACT_PER_CELL);
    d.remove(5000);
    expect(d.values).not.toContain(5000);
    expect(() => d.remove(5000)).toThrow(/never added/);
    d.add(5000);
    d.add(0);
    // One more than a cell holds exactly: a sketch from now on.
    expect(d.values).toBeUndefined();
    expect(d.asSketch?.count).toBe(EXACT_PER_CELL + 1);
    d.remove(0);
    d.remove(32_000);
    expect(d.count).toBe(EXACT_PER_CELL - 1);
    expect(d.asSketch?.count).toBe(EXACT_PER_CELL - 1);
    expect(d.asSketch?.zeroCount).toBe(0);
  });
});

describe('duration figure of several cells', () => {
  const ms = (d: { seconds: number; nanos: number } | undefined) =>
    d ? d.seconds * 1000 + d.nanos / 1e6 : undefined;

  it.each([
    ['none', [], { samples: 0, p50: undefined, p90: undefined }],
    ['one cell', [[60_000, 1_800_000]], { samples: 2, p50: 60_000, p90: 1_800_000 }],
    ['two cells, ranked together', [[5], [1, 2, 3, 4, 6, 7, 8, 9, 10]], { samples: 10, p50: 5, p90: 9 }],
  ])('%s: exact nearest rank', (_what, cells, expected) => {
    const parts = cells.map((values) => {
      const d = new Durations();
      for (const v of values) d.add(v);
      return d;
    });
    const f = durationFigure(parts);
    expect({ samples: f.samples, p50: ms(f.p50), p90: ms(f.p90) }).toEqual(expected);
  });

  it('is within 1 % of the exact percentile once the samples are many (sketches merged)', () => {
    // 20 cells of 500 durations each, between 1 s and about 3 h, some cells as sketches.
    const all: number[] = [];
    const parts = Array.from({ length: 20 }, (_, c) => {
      const d = new Durations();
      for (let i = 0; i < 500; i++) {
        const v = 1000 + ((c * 7919 + i * 104_729) % 10_000_000);
        d.add(v);
        all.push(v);
      }
      return d;
    });
    all.sort((a, b) => a - b);
    const f = durationFigure(parts);
    expect(f.samples).toBe(10_000);
    // DDSketch ranks at q·(n−1) (rounded down), nearest rank at ⌈q·n⌉: one rank apart at most.
    for (const [p, got] of [
      [0.5, ms(f.p50)],
      [0.9, ms(f.p90)],
    ] as const) {
      const lo = (percentile(all, p - 1 / all.length) ?? 0) * 0.99;
      const hi = (percentile(all, p) ?? 0) * 1.01;
      expect(got).toBeGreaterThanOrEqual(lo);
      expect(got).toBeLessThanOrEqual(hi);
    }
  });
});
