/**
 * The exact optimum by linear programming (HiGHS, compiled to WebAssembly): the LP relaxation of the matching
 * problem with the objective of @nuanyang/planner's objective.ts,
 *
 *     maximise  Σ edgeValue(n, l) · x[n,l]   over compatible pairs with edgeValue > 0
 *     s.t.      Σ_n x[n,l] ≤ available_l,   Σ_l x[n,l] ≤ quantity_n,   x ≥ 0.
 *
 * Independent of the optimiser's code path: it prices pairs with the public objective, builds the
 * constraint matrix itself and lets HiGHS's simplex solve it. A simplex optimum is a vertex, and the
 * constraint matrix is totally unimodular, so the LP solution is integral: it is turned into allocations and
 * scored by `evaluate()` like every other plan.
 */
import {
  type Allocation,
  compatible,
  type PlanLot,
  type PlanNeed,
  type PreparedPlace,
  preparedEdgeValue,
  preparePlace,
} from '@nuanyang/planner';
import type { Highs } from 'highs';

export interface LpSolve {
  objective: number;
  allocations: Allocation[];
  columns: number;
  /** Milliseconds from pricing the pairs to reading the solution. */
  ms: number;
  /** Milliseconds inside HiGHS's run(). */
  runMs: number;
}

/** One LP over all compatible pairs of `needs` × `lots` (which may span several groups). */
export function solveLp(
  highs: Highs,
  needs: readonly PlanNeed[],
  lots: readonly PlanLot[],
  now: number,
): LpSolve {
  const start = performance.now();
  const needPlaces: PreparedPlace[] = needs.map((n) => preparePlace(n.place));
  const lotPlaces: PreparedPlace[] = lots.map((l) => preparePlace(l.place));
  // Columns grouped by lot; rows 0..m−1 are lots, m..m+n−1 needs.
  const byGroup = new Map<string, number[]>();
  needs.forEach((n, j) => {
    const key = `${n.category}\u0000${n.unit}`;
    const list = byGroup.get(key);
    if (list) list.push(j);
    else byGroup.set(key, [j]);
  });
  const colLot: number[] = [];
  const colNeed: number[] = [];
  const colCost: number[] = [];
  lots.forEach((l, i) => {
    for (const j of byGroup.get(`${l.category}\u0000${l.unit}`) ?? []) {
      const n = needs[j] as PlanNeed;
      if (!compatible(n, l)) continue;
      const v = preparedEdgeValue(n, needPlaces[j] as PreparedPlace, l, lotPlaces[i] as PreparedPlace, now);
      if (!(v > 0)) continue;
      colLot.push(i);
      colNeed.push(j);
      colCost.push(v);
    }
  });
  const numCols = colCost.length;
  const m = lots.length;
  const numRows = m + needs.length;
  if (numCols === 0) {
    return { objective: 0, allocations: [], columns: 0, ms: performance.now() - start, runMs: 0 };
  }
  const starts = new Int32Array(numCols + 1);
  const indices = new Int32Array(2 * numCols);
  for (let c = 0; c < numCols; c++) {
    starts[c] = 2 * c;
    indices[2 * c] = colLot[c] as number;
    indices[2 * c + 1] = m + (colNeed[c] as number);
  }
  starts[numCols] = 2 * numCols;
  const rowUpper = new Float64Array(numRows);
  lots.forEach((l, i) => {
    rowUpper[i] = l.available;
  });
  needs.forEach((n, j) => {
    rowUpper[m + j] = n.quantity;
  });

  const model = highs.createModel({
    numCols,
    numRows,
    sense: highs.constants.objectiveSense.maximize,
    colCost: Float64Array.from(colCost),
    colLower: new Float64Array(numCols),
    colUpper: new Float64Array(numCols).fill(highs.infinity),
    rowLower: new Float64Array(numRows).fill(-highs.infinity),
    rowUpper,
    matrix: {
      format: 'csc',
      numRows,
      numCols,
      starts,
      indices,
      values: new Float64Array(2 * numCols).fill(1),
    },
  });
  try {
    // Primal simplex: on these transportation LPs ~3× faster than HiGHS's default (dual simplex), and,
    // like any simplex, it ends at a vertex.
    model.options.set({ output_flag: false, simplex_strategy: 4 });
    const runStart = performance.now();
    model.run();
    const runMs = performance.now() - runStart;
    const status = model.getModelStatus();
    if (status !== highs.constants.modelStatus.optimal)
      throw new Error(`HiGHS: model status ${status}, not optimal`);
    const objective = model.getObjectiveValue();
    const x = model.getSolution().colValue;
    const allocations: Allocation[] = [];
    for (let c = 0; c < numCols; c++) {
      const v = x[c] as number;
      const q = Math.round(v);
      if (Math.abs(v - q) > 1e-6) throw new Error(`HiGHS: fractional LP solution (${v}); expected a vertex`);
      if (q > 0) {
        const need = needs[colNeed[c] as number] as PlanNeed;
        const lot = lots[colLot[c] as number] as PlanLot;
        allocations.push({ needId: need.id, lotId: lot.id, quantity: q, distanceKm: 0 });
      }
    }
    return { objective, allocations, columns: numCols, ms: performance.now() - start, runMs };
  } finally {
    model.dispose();
  }
}
