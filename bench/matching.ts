/**
 * The matching benchmark (`make bench-matching`): for seeded Xi'an-shaped instances of several sizes, the
 * exact LP optimum (HiGHS), the batch optimiser and the greedy online matcher, all scored by the one objective
 * of @nuanyang/planner and every plan validated by `evaluate()`. Prints Markdown tables on stdout (a progress
 * bar on stderr while it runs) and writes the same as JSON to bench/results/matching.json.
 *
 *   node bench/dist/matching.js [--full-lp | --no-full-lp]
 *
 * The LP optimum is solved per (category, unit) group: groups share no need and no lot, so the LP separates
 * and the sum of the group optima is the optimum. As a cross-check, the benchmark also solves ONE LP over the
 * whole instance and checks it finds the same optimum; if that LP does not fit in HiGHS-wasm's memory it says
 * so. By default for every size but the largest, whose single LP takes minutes (--full-lp: all sizes,
 * --no-full-lp: none).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  DISTANCE_CAP_KM,
  EXPIRY_PENALTY_PER_DAY,
  evaluate,
  FULFILMENT_VALUE,
  greedyMatch,
  groupKey,
  type OptimiseStats,
  optimise,
  type Plan,
  type PlanLot,
  type PlanNeed,
  WAITING_BONUS_PER_DAY,
} from '@nuanyang/planner';
import { Presets, SingleBar } from 'cli-progress';
import loadHighs, { type Highs } from 'highs';
import { generate, type Instance, NOW } from './instances';
import { solveLp } from './lp';

const SEED = 20220105;
const RUNS = 3;
const SIZES: { needs: number; lots: number }[] = [
  { needs: 100, lots: 50 },
  { needs: 1_000, lots: 200 },
  { needs: 5_000, lots: 1_000 },
  { needs: 10_000, lots: 2_000 },
];
const GOAL_RATIO = 0.995;
const GOAL_LARGEST_MS = 2_000;

interface Group {
  key: string;
  needs: PlanNeed[];
  lots: PlanLot[];
}

function groupsOf(instance: Instance): Group[] {
  const groups = new Map<string, Group>();
  const get = (key: string): Group => {
    let g = groups.get(key);
    if (!g) {
      g = { key, needs: [], lots: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const n of instance.needs) get(groupKey(n)).needs.push(n);
  for (const l of instance.lots) get(groupKey(l)).lots.push(l);
  return [...groups.values()].filter((g) => g.needs.length > 0 && g.lots.length > 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * One untimed warm-up run (the JIT compiles the hot loops; its time is kept as `coldMs`), then RUNS timed
 * runs; the plan of the last run.
 */
function timed(f: () => Plan, tick: () => void): { plan: Plan; coldMs: number; runsMs: number[] } {
  const coldStart = performance.now();
  let plan = f();
  const coldMs = performance.now() - coldStart;
  const runsMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    plan = f();
    runsMs.push(performance.now() - start);
    tick();
  }
  return { plan, coldMs, runsMs };
}

/** Re-validates a plan with evaluate() and checks it scores what its producer said. */
function validated(instance: Instance, plan: Plan, claimed: number, who: string): Plan {
  const again = evaluate(instance.needs, instance.lots, plan.allocations, { now: NOW });
  if (Math.abs(again.objective - claimed) > 1e-9 * Math.max(1, Math.abs(claimed))) {
    throw new Error(
      `${instance.name}: ${who} claims objective ${claimed}, evaluate() says ${again.objective}`,
    );
  }
  return again;
}

interface FullLp {
  status: 'solved' | 'did not fit' | 'not run';
  objective?: number;
  ms?: number;
  columns?: number;
  error?: string;
}

interface Row {
  size: string;
  needs: number;
  lots: number;
  groups: number;
  pairs: number;
  unitsNeeded: number;
  unitsInStock: number;
  lp: { objective: number; ms: number; highsRunMs: number; weightedFulfilment: number; unitKm: number };
  fullLp: FullLp;
  optimiser: {
    objective: number;
    ratio: number;
    ms: number;
    coldMs: number;
    runsMs: number[];
    pivots: number;
    fullScans: number;
    weightedFulfilment: number;
    unitKm: number;
  };
  greedy: {
    objective: number;
    ratio: number;
    ms: number;
    coldMs: number;
    runsMs: number[];
    weightedFulfilment: number;
    unitKm: number;
  };
  timeRatioOptimiserToLp: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number, digits = 4) => `${(100 * x).toFixed(digits)} %`;
const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);

async function main(): Promise<void> {
  const fullLpFor = (i: number): boolean =>
    process.argv.includes('--full-lp') || (!process.argv.includes('--no-full-lp') && i < SIZES.length - 1);
  let highs: Highs = await loadHighs();
  const instances = SIZES.map((s, i) =>
    generate(`${fmtInt(s.needs)}×${fmtInt(s.lots)}`, s.needs, s.lots, SEED + i),
  );
  const groups = instances.map(groupsOf);
  const total = groups.reduce((sum, g, i) => sum + g.length + (fullLpFor(i) ? 1 : 0) + 2 * RUNS, 0);

  const bar = new SingleBar(
    {
      format: 'bench-matching [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | {task}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { task: 'starting' });
  const rows: Row[] = [];
  try {
    for (const [i, instance] of instances.entries()) {
      const instanceGroups = groups[i] as Group[];
      const task = (what: string) => ({ task: `${instance.name}: ${what}` });

      // The exact optimum, group by group.
      let lpObjective = 0;
      let lpMs = 0;
      let highsRunMs = 0;
      let pairs = 0;
      const lpAllocations: Plan['allocations'] = [];
      instanceGroups.forEach((g, k) => {
        bar.update(
          task(
            `LP group ${k + 1}/${instanceGroups.length} (${fmtInt(g.needs.length * g.lots.length)} pairs)`,
          ),
        );
        const r = solveLp(highs, g.needs, g.lots, NOW);
        lpObjective += r.objective;
        lpMs += r.ms;
        highsRunMs += r.runMs;
        pairs += r.columns;
        lpAllocations.push(...r.allocations);
        bar.increment(1);
      });
      const lpPlan = validated(
        instance,
        { allocations: lpAllocations, objective: 0, weightedFulfilment: 0, unitKm: 0 },
        lpObjective,
        'the LP',
      );

      // The same optimum as one LP, if HiGHS-wasm can hold it.
      let fullLp: FullLp = { status: 'not run' };
      if (fullLpFor(i)) {
        bar.update(task(`one LP over all groups (${fmtInt(pairs)} columns)`));
        let r: ReturnType<typeof solveLp> | undefined;
        try {
          r = solveLp(highs, instance.needs, instance.lots, NOW);
        } catch (e) {
          fullLp = { status: 'did not fit', error: e instanceof Error ? e.message : String(e) };
          // A WebAssembly instance that ran out of memory may be left unusable: start a fresh one.
          highs = await loadHighs();
        }
        if (r) {
          if (Math.abs(r.objective - lpObjective) > 1e-9 * Math.abs(lpObjective)) {
            throw new Error(`${instance.name}: one LP gives ${r.objective}, the groups ${lpObjective}`);
          }
          fullLp = { status: 'solved', objective: r.objective, ms: round2(r.ms), columns: r.columns };
        }
        bar.increment(1);
      }

      const stats: OptimiseStats = { groups: 0, pairs: 0, pivots: 0, fullScans: 0 };
      bar.update(task('optimiser'));
      const opt = timed(
        () => optimise(instance.needs, instance.lots, { now: NOW }, stats),
        () => bar.increment(1),
      );
      const optPlan = validated(instance, opt.plan, opt.plan.objective, 'the optimiser');
      bar.update(task('greedy'));
      const greedy = timed(
        () => greedyMatch(instance.needs, instance.lots, { now: NOW }),
        () => bar.increment(1),
      );
      const greedyPlan = validated(instance, greedy.plan, greedy.plan.objective, 'greedy');

      const optMs = median(opt.runsMs);
      rows.push({
        size: instance.name,
        needs: instance.needs.length,
        lots: instance.lots.length,
        groups: instanceGroups.length,
        pairs,
        unitsNeeded: instance.needs.reduce((s, n) => s + n.quantity, 0),
        unitsInStock: instance.lots.reduce((s, l) => s + l.available, 0),
        lp: {
          objective: lpObjective,
          ms: round2(lpMs),
          highsRunMs: round2(highsRunMs),
          weightedFulfilment: lpPlan.weightedFulfilment,
          unitKm: lpPlan.unitKm,
        },
        fullLp,
        optimiser: {
          objective: optPlan.objective,
          ratio: optPlan.objective / lpObjective,
          ms: round2(optMs),
          coldMs: round2(opt.coldMs),
          runsMs: opt.runsMs.map(round2),
          pivots: stats.pivots,
          fullScans: stats.fullScans,
          weightedFulfilment: optPlan.weightedFulfilment,
          unitKm: optPlan.unitKm,
        },
        greedy: {
          objective: greedyPlan.objective,
          ratio: greedyPlan.objective / lpObjective,
          ms: round2(median(greedy.runsMs)),
          coldMs: round2(greedy.coldMs),
          runsMs: greedy.runsMs.map(round2),
          weightedFulfilment: greedyPlan.weightedFulfilment,
          unitKm: greedyPlan.unitKm,
        },
        timeRatioOptimiserToLp: optMs / lpMs,
      });
    }
  } finally {
    bar.stop();
  }

  const largest = rows[rows.length - 1] as Row;
  const ratioMet = rows.every((r) => r.optimiser.ratio >= GOAL_RATIO);
  const timeMet = largest.optimiser.ms < GOAL_LARGEST_MS;
  const lines: string[] = [];
  lines.push(
    `Matching benchmark: optimiser and greedy times are the median of ${RUNS} runs after a warm-up run; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    '',
    '| size (needs × lots) | LP objective | optimiser / LP | greedy / LP | LP time | optimiser time | greedy time | optimiser / LP time |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    lines.push(
      `| ${r.size} | ${fmtInt(r.lp.objective)} | ${pct(r.optimiser.ratio)} | ${pct(r.greedy.ratio)} | ${ms(r.lp.ms)} | ${ms(r.optimiser.ms)} | ${ms(r.greedy.ms)} | ${r.timeRatioOptimiserToLp.toFixed(4)} (${Math.round(1 / r.timeRatioOptimiserToLp)}× faster) |`,
    );
  }
  lines.push(
    '',
    'LP time: pricing the pairs, building the model and HiGHS (primal simplex), summed over the groups.',
    '',
    'The objective is dominated by fulfilment (10,000 per unit of weight); distance is what the plans differ in:',
    '',
    '| size | groups | pairs | units needed / in stock | weighted fulfilment LP / opt. / greedy | unit-km LP | optimiser unit-km | greedy unit-km | one LP over all groups |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const r of rows) {
    const full =
      r.fullLp.status === 'solved'
        ? `same optimum, ${ms(r.fullLp.ms ?? 0)} (${fmtInt(r.fullLp.columns ?? 0)} columns)`
        : r.fullLp.status === 'did not fit'
          ? `did not fit in HiGHS-wasm: ${r.fullLp.error}`
          : 'not run (--full-lp runs it)';
    lines.push(
      `| ${r.size} | ${r.groups} | ${fmtInt(r.pairs)} | ${fmtInt(r.unitsNeeded)} / ${fmtInt(r.unitsInStock)} | ${pct(r.lp.weightedFulfilment, 2)} / ${pct(r.optimiser.weightedFulfilment, 2)} / ${pct(r.greedy.weightedFulfilment, 2)} | ${fmtInt(r.lp.unitKm)} | ${pct(r.optimiser.unitKm / r.lp.unitKm, 2)} | ${pct(r.greedy.unitKm / r.lp.unitKm, 2)} | ${full} |`,
    );
  }
  lines.push(
    '',
    `Goal: optimiser ≥ ${pct(GOAL_RATIO, 1)} of the LP optimum on every size: ${ratioMet ? 'met' : 'NOT MET'}; ` +
      `largest size in under ${GOAL_LARGEST_MS / 1000} s: ${timeMet ? 'met' : 'NOT MET'} (${ms(largest.optimiser.ms)}).`,
  );
  console.log(lines.join('\n'));

  const out = join(__dirname, '..', 'results');
  mkdirSync(out, { recursive: true });
  const json = {
    benchmark: 'matching',
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null },
    seed: SEED,
    runs: RUNS,
    now: new Date(NOW).toISOString(),
    objective: {
      definition: 'per unit: weight × M − min(km, cap) − ε × days until expiry + ω × days waited',
      M: FULFILMENT_VALUE,
      distanceCapKm: DISTANCE_CAP_KM,
      expiryPenaltyPerDay: EXPIRY_PENALTY_PER_DAY,
      waitingBonusPerDay: WAITING_BONUS_PER_DAY,
    },
    lp: 'HiGHS (highs npm package, WebAssembly), primal simplex, one LP per (category, unit) group',
    goals: { ratio: GOAL_RATIO, ratioMet, largestMs: GOAL_LARGEST_MS, timeMet },
    sizes: rows,
  };
  writeFileSync(join(out, 'matching.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${join('bench', 'results', 'matching.json')}`);
  if (!ratioMet) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
