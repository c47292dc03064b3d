import { Metric } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { Fact } from '../src/domain/facts';
import { bucketIndex, series } from '../src/domain/series';
import { FACTS, filter, fold, H } from './fixtures';

/** Every table twice: with every case open, and with each final case closed into the cells at once. */
describe.each([
  ['open cases', Infinity],
  ['closed cases, read from the cells', 0],
])('%s', (_mode, closeAfter) => {
  const of = (facts: Fact[]) => fold(facts, closeAfter);

  describe('time series', () => {
    it('sums each metric per bucket, empty buckets included', () => {
      const day = 24 * H;
      const start = Date.parse('2022-01-05T00:00:00+08:00');
      const starts = [start, start + day, start + 2 * day];
      const f = filter({ from: start, to: start + 3 * day });
      const values = series(
        of(FACTS),
        f,
        [
          Metric.METRIC_REQUESTS_COLLECTED,
          Metric.METRIC_PEOPLE_HELPED,
          Metric.METRIC_SUPPLIES_VALUE,
          Metric.METRIC_VOLUNTEER_HOURS,
        ],
        starts,
      );
      // Fulfilled at 19:01 Beijing time on the 5th: the first day.
      expect(values).toEqual([
        [5, 0, 0],
        [3, 0, 0],
        [180_000, 0, 0],
        [1.5, 0, 0],
      ]);
    });
  });
});

describe('bucket of a time', () => {
  const starts = [0, 10, 20];
  it.each([
    [-1, -1],
    [0, 0],
    [9, 0],
    [10, 1],
    [25, 2],
  ])('%d is in bucket %d', (at, expected) => {
    expect(bucketIndex(starts, at)).toBe(expected);
  });
});
