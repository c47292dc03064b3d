import { Metric } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { Cell } from './cells';
import type { Figures } from './figures';
import { type Filter, matchesOrg, type RowKind, round } from './rows';

/** What each time-series metric counts or sums. */
const METRIC: Record<number, { kind: RowKind; of: (c: Cell) => number }> = {
  [Metric.METRIC_REQUESTS_COLLECTED]: { kind: 'collected', of: (c) => c.count },
  [Metric.METRIC_REQUESTS_VERIFIED]: { kind: 'verified', of: (c) => c.count },
  [Metric.METRIC_REQUESTS_MATCHED]: { kind: 'matched', of: (c) => c.count },
  [Metric.METRIC_REQUESTS_FULFILLED]: { kind: 'fulfilled', of: (c) => c.count },
  [Metric.METRIC_PEOPLE_HELPED]: { kind: 'fulfilled', of: (c) => c.people },
  [Metric.METRIC_DELIVERIES]: { kind: 'delivery', of: (c) => c.count },
  [Metric.METRIC_SUPPLIES_VALUE]: { kind: 'delivery', of: (c) => c.value },
  [Metric.METRIC_VOLUNTEER_HOURS]: { kind: 'hours', of: (c) => c.hours },
};

/**
 * Per metric, the value of each bucket (bucket starts given ascending; a row belongs to the last bucket
 * starting at or before it, a cell of closed cases to the bucket of its earliest row: the same bucket for all
 * its rows when buckets start on whole hours). The filter's range is expected to start at the first bucket.
 */
export function series(fig: Figures, f: Filter, metrics: Metric[], starts: number[]): number[][] {
  const cells = [...fig.select(f)].filter((c) => matchesOrg(c.orgs, f));
  return metrics.map((m) => {
    const spec = METRIC[m];
    const values = starts.map(() => 0);
    if (!spec) return values;
    for (const c of cells) {
      if (c.kind !== spec.kind) continue;
      const i = bucketIndex(starts, c.first);
      if (i >= 0) values[i] = (values[i] ?? 0) + spec.of(c);
    }
    return m === Metric.METRIC_VOLUNTEER_HOURS ? values.map(round) : values;
  });
}

export function bucketIndex(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] ?? 0) <= at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
