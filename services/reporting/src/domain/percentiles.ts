import { DDSketch } from '@datadog/sketches-js';
import type { Duration } from '@nuanyang/proto/google/protobuf/duration';
import type { DurationFigure } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';

/**
 * Time-to-verify/match/deliver percentiles. A cell keeps its durations exactly while it holds a few, then as a
 * DDSketch (relative accuracy 1 %: every percentile it gives is within 1 % of a value of the right rank), so a
 * cell's memory does not grow with its samples. A query over at most EXACT_QUERY samples, all held exactly,
 * answers the exact nearest-rank percentile; above that, from the merged sketches.
 */
export const RELATIVE_ACCURACY = 0.01;
/** Durations a cell holds exactly before it turns them into a sketch. */
export const EXACT_PER_CELL = 32;
/** Samples a query ranks exactly when every cell it reads still holds them exactly. */
export const EXACT_QUERY = 1000;

/** Nearest-rank percentile (0 < p ≤ 1) of values sorted ascending; undefined for none. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const durationOf = (ms: number): Duration => ({
  seconds: Math.floor(ms / 1000),
  nanos: Math.round((ms % 1000) * 1e6),
});

/** The durations (ms, ≥ 0) of one cell: a multiset that can take a value out again. */
export class Durations {
  private exact: number[] | undefined = [];
  private sketch: DDSketch | undefined;
  count = 0;

  add(ms: number): void {
    this.count += 1;
    if (this.exact) {
      this.exact.push(ms);
      if (this.exact.length > EXACT_PER_CELL) {
        this.sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
        for (const v of this.exact) this.sketch.accept(v);
        this.exact = undefined;
      }
    } else this.sketch?.accept(ms);
  }

  /** Takes out a value added before (a closed case opened again by a late fact). */
  remove(ms: number): void {
    if (this.exact) {
      const i = this.exact.indexOf(ms);
      if (i < 0) throw new Error(`duration ${ms} ms was never added`);
      this.exact.splice(i, 1);
      this.count -= 1;
      return;
    }
    this.count -= 1;
    const s = this.sketch as DDSketch;
    // DDSketch's accept refuses a negative weight; its store is a histogram of the mapping's bins, so the
    // value comes out of the bin (or the zero count) accept put it in. min, max and sum go stale; the
    // percentiles read only the bins and the counts.
    if (ms > s.mapping.minPossible) s.store.add(s.mapping.key(ms), -1);
    else s.zeroCount -= 1;
    s.count -= 1;
  }

  /** Exact values, or undefined once a sketch. */
  get values(): readonly number[] | undefined {
    return this.exact;
  }

  get asSketch(): DDSketch | undefined {
    return this.sketch;
  }
}

/** Samples, p50 and p90 of the union of these cells' durations. */
export function durationFigure(parts: Durations[]): DurationFigure {
  const samples = parts.reduce((n, d) => n + d.count, 0);
  if (samples === 0) return { samples: 0, p50: undefined, p90: undefined };
  if (samples <= EXACT_QUERY && parts.every((d) => d.values)) {
    const sorted = parts.flatMap((d) => d.values ?? []).sort((a, b) => a - b);
    const p50 = percentile(sorted, 0.5) ?? 0;
    const p90 = percentile(sorted, 0.9) ?? 0;
    return { samples, p50: durationOf(p50), p90: durationOf(p90) };
  }
  const merged = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
  for (const d of parts) {
    if (d.values) for (const v of d.values) merged.accept(v);
    else if (d.asSketch && d.asSketch.count > 0) merged.merge(d.asSketch);
  }
  const at = (q: number) => durationOf(Math.round(merged.getValueAtQuantile(q)));
  return { samples, p50: at(0.5), p90: at(0.9) };
}
