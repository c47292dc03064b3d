import { Dimension, Metric } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { breakdown } from '../src/domain/breakdown';
import type { Fact } from '../src/domain/facts';
import { Figures, taskCaseId } from '../src/domain/figures';
import { series } from '../src/domain/series';
import { summarise } from '../src/domain/summary';
import {
  ANY,
  Coverage,
  FACTS,
  fact,
  filter,
  fold,
  food,
  H,
  M,
  MemoryArchive,
  NOW,
  received,
  shuffled,
  T0,
} from './fixtures';

/** Everything the queries answer of these figures. */
function everything(figures: Figures) {
  const day = Date.parse('2022-01-05T00:00:00+08:00');
  return {
    summary: summarise(figures, ANY, NOW),
    donor: summarise(figures, filter({ organisationId: 'org-donor' }), NOW),
    volunteers: summarise(figures, filter({ organisationId: 'org-volunteers' }), NOW),
    morning: summarise(figures, filter({ from: T0 + H, to: T0 + 3 * H }), NOW),
    breakdown: breakdown(figures, ANY, [
      Dimension.DIMENSION_ORGANISATION,
      Dimension.DIMENSION_DISTRICT,
      Dimension.DIMENSION_CATEGORY,
    ]),
    series: series(
      figures,
      filter({ from: day, to: day + 2 * 24 * H }),
      [Metric.METRIC_REQUESTS_COLLECTED, Metric.METRIC_SUPPLIES_VALUE, Metric.METRIC_VOLUNTEER_HOURS],
      Array.from({ length: 48 }, (_, i) => day + i * H),
    ),
  };
}

describe('figures kept incrementally', () => {
  const expected = everything(fold(FACTS));

  it.each([0, 1, 3, Infinity])(
    'give the same answers in any order of arrival, each fact once, closing cases %d facts after they went final',
    (closeAfter) => {
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const facts = shuffled(FACTS, seed);
        expect(everything(fold(facts, closeAfter))).toEqual(expected);
        // Another replica's copy of the same events: counted once.
        expect(everything(fold([...facts, ...shuffled(facts, seed + 100)], closeAfter))).toEqual(expected);
      }
    },
  );

  it('close a final case once closeAfter facts came after its last one, and keep only the open ones', () => {
    const archive = new MemoryArchive();
    const figures = new Figures({ closeAfter: 2 });
    const r3 = FACTS.filter((f) => 'requestId' in f && f.requestId === 'r3');
    for (const f of r3) archive.apply(figures, f);
    // r3 was received, its task opened and rejected: final, but closed only after two more facts.
    expect(figures.isOpen('r3')).toBe(true);
    archive.apply(figures, received('x1', T0, 'huyi', 'org-hub', 1, 1));
    expect(figures.isOpen('r3')).toBe(true);
    archive.apply(figures, received('x2', T0, 'huyi', 'org-hub', 1, 1));
    expect(figures.isOpen('r3')).toBe(false);
    expect(archive.byKey.get('r3')?.facts).toHaveLength(3);
    expect(figures.stats).toMatchObject({ openCases: 2, cells: 3 });
    expect(summarise(figures, ANY, NOW).requests).toMatchObject({ collected: 3, rejected: 1 });
  });

  it('open a closed case again for a late fact, so it changes the figures as if the case had stayed open', () => {
    const late = fact(T0 + 20 * H, {
      kind: 'accepted',
      proposalId: 'p9',
      requestId: 'r1',
      supplier: 'org-late',
      category: food,
      district: 'huyi',
      community: 'huyi-c',
    });
    const archive = new MemoryArchive();
    const figures = fold(FACTS, 0, archive);
    expect(figures.isOpen('r1')).toBe(false);
    const loads = archive.loads;
    archive.apply(figures, late);
    expect(archive.loads).toBe(loads + 1);
    expect(figures.isOpen('r1')).toBe(true);
    expect(everything(figures)).toEqual(everything(fold([...FACTS, late])));
    // r1 now counts under its new supplier too, once.
    expect(summarise(figures, filter({ organisationId: 'org-late' }), NOW).requests?.collected).toBe(1);
    expect(summarise(figures, ANY, NOW).requests?.collected).toBe(5);
  });

  it('place hours recorded before their delivery task was known once it is, in any order', () => {
    const hours = FACTS.find((f) => f.kind === 'hours') as Fact;
    const rest = FACTS.filter((f) => f !== hours);
    const early = new Figures();
    early.apply(hours);
    expect(early.isOpen(taskCaseId('d1'))).toBe(true);
    for (const f of rest) early.apply(f);
    expect(early.isOpen(taskCaseId('d1'))).toBe(false);
    expect(everything(early)).toEqual(expected);
  });

  it('refuse a negative closeAfter', () => {
    expect(() => new Figures({ closeAfter: -1 })).toThrow(/closeAfter/);
  });
});

/** A request's whole course: 9 facts, the request final after them. */
function course(i: number, t: number): Fact[] {
  const r = `r${i}`;
  const district = ['huyi', 'yanta', 'beilin'][i % 3] ?? 'huyi';
  const org = `org-${i % 4}`;
  const supplier = `donor-${i % 2}`;
  const place = { district, community: `${district}-c` };
  return [
    received(r, t, district, org, (i % 4) + 1, 1 + (i % 5)),
    fact(t, { kind: 'taskOpened', taskId: `t${i}`, requestId: r, dueAt: t + H }),
    fact(t + 20 * M, {
      kind: 'verified',
      requestId: r,
      taskId: `t${i}`,
      org,
      ...place,
      urgency: (i % 4) + 1,
      people: 1 + (i % 5),
      categories: [food],
    }),
    fact(t + 30 * M, {
      kind: 'accepted',
      proposalId: `p${i}`,
      requestId: r,
      supplier,
      category: food,
      ...place,
    }),
    fact(t + 35 * M, {
      kind: 'taskAccepted',
      taskId: `d${i}`,
      proposalId: `p${i}`,
      requestId: r,
      volunteerId: `v${i % 50}`,
      supplier,
      ...place,
      categories: [food],
    }),
    fact(t + 50 * M, {
      kind: 'delivered',
      taskId: `d${i}`,
      proposalId: `p${i}`,
      requestId: r,
      volunteerId: `v${i % 50}`,
    }),
    fact(t + 50 * M, {
      kind: 'hours',
      volunteerId: `v${i % 50}`,
      org: 'org-v',
      taskId: `d${i}`,
      hours: 0.25,
      district,
    }),
    fact(t + 51 * M, {
      kind: 'fulfilled',
      proposalId: `p${i}`,
      requestId: r,
      supplier,
      category: food,
      itemName: 'x',
      ...place,
      lines: [{ quantity: 10, unit: 'box', unitValue: 4500 }],
    }),
    fact(t + 52 * M, { kind: 'coverage', requestId: r, coverage: Coverage.COVERAGE_FULFILLED }),
  ];
}

describe('at scale', () => {
  it('keeps the same state size whether 100,000 or 200,000 facts were applied, with the same figures as keeping every case open', () => {
    const requests = 22_222;
    const facts = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => course(from + k, T0 + ((from + k) % 24) * H)).flat();
    const archive = new MemoryArchive();
    const figures = new Figures({ closeAfter: 1000 });
    const half = facts(0, requests / 2);
    let started = performance.now();
    for (const f of half) archive.apply(figures, f);
    const perFact = (performance.now() - started) / half.length;
    const atHalf = figures.stats;
    const rest = facts(requests / 2, requests);
    started = performance.now();
    for (const f of rest) archive.apply(figures, f);
    const atFull = figures.stats;
    console.log(
      `${half.length + rest.length} facts: ${(perFact * 1000).toFixed(1)} µs per fact (first half), ` +
        `${(((performance.now() - started) / rest.length) * 1000).toFixed(1)} µs (second half); ` +
        `state at ${half.length}: ${JSON.stringify(atHalf)}; at ${half.length + rest.length}: ${JSON.stringify(atFull)}`,
    );
    expect(half.length + rest.length).toBeGreaterThanOrEqual(199_998);
    // Open cases: those touched within the last closeAfter facts (about 1000 / 9 requests), not 22,222.
    expect(atFull.openCases).toBeLessThanOrEqual(1000 / 9 + 2);
    expect(atFull.openFacts).toBeLessThanOrEqual(1000 + 9);
    expect(atFull.taskIndex).toBeLessThanOrEqual(atFull.openCases);
    // Cells: every combination of hour and dimensions occurred in the first half already.
    expect(atFull.cells).toBe(atHalf.cells);
    expect(atFull.volunteers).toBe(50);

    const s = summarise(figures, ANY, NOW);
    expect(s.requests).toMatchObject({ collected: requests, verified: requests, fulfilled: requests });
    expect(s.suppliesValue?.minorUnits).toBe(requests * 45_000);
    expect(s.volunteerHours).toBe(requests * 0.25);
    // The same answers as the naive fold that keeps every case open (sketches included: the same samples).
    const open = fold([...half, ...rest]);
    expect(open.stats.openCases).toBe(requests);
    expect(summarise(figures, ANY, NOW)).toEqual(summarise(open, ANY, NOW));
    expect(breakdown(figures, ANY, [Dimension.DIMENSION_DISTRICT, Dimension.DIMENSION_ORGANISATION])).toEqual(
      breakdown(open, ANY, [Dimension.DIMENSION_DISTRICT, Dimension.DIMENSION_ORGANISATION]),
    );
  }, 120_000);
});
