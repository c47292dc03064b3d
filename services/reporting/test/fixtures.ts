import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { Coverage } from '@nuanyang/proto/nuanyang/matching/v1/events';
import type { Fact } from '../src/domain/facts';
import { type ClosedCase, Figures, taskCaseId } from '../src/domain/figures';
import { ANY, type Filter } from '../src/domain/rows';

/** Shared by the figures' unit tables: a small action with every kind of fact, and helpers. */
export const T0 = Date.parse('2022-01-05T09:00:00+08:00');
export const H = 3600_000;
export const M = 60_000;
export const food = ItemCategory.ITEM_CATEGORY_INSTANT_FOOD;
export const medicine = ItemCategory.ITEM_CATEGORY_MEDICINE;

let n = 0;
export const fact = (at: number, f: Record<string, unknown>): Fact => ({ id: `e${++n}`, at, ...f }) as Fact;
export const received = (
  requestId: string,
  at: number,
  district: string,
  org: string,
  urgency: Urgency,
  people: number,
  category = food,
) =>
  fact(at, {
    kind: 'received',
    requestId,
    org,
    district,
    community: `${district}-c`,
    urgency,
    people,
    categories: [category],
  });

/**
 * Five requests: r1 (Huyi, critical, verified with 3 people instead of 2, matched and fulfilled), r2 (Yanta,
 * verified late, matched), r3 (rejected late), r4 (cancelled), r5 (critical, still open past its due time).
 */
export const FACTS: Fact[] = [
  received('r1', T0, 'huyi', 'org-hub', Urgency.URGENCY_CRITICAL, 2),
  received('r2', T0 + H, 'yanta', 'org-hub', Urgency.URGENCY_HIGH, 5, medicine),
  received('r3', T0 + 2 * H, 'yanta', 'org-other', Urgency.URGENCY_LOW, 1),
  received('r4', T0 + 3 * H, 'beilin', 'org-other', Urgency.URGENCY_MEDIUM, 1),
  received('r5', T0 + 4 * H, 'lianhu', 'org-hub', Urgency.URGENCY_CRITICAL, 4),
  fact(T0, { kind: 'taskOpened', taskId: 't1', requestId: 'r1', dueAt: T0 + H }),
  fact(T0 + H, { kind: 'taskOpened', taskId: 't2', requestId: 'r2', dueAt: T0 + 2 * H }),
  fact(T0 + 2 * H, { kind: 'taskOpened', taskId: 't3', requestId: 'r3', dueAt: T0 + 2 * H + 10 * M }),
  fact(T0 + 3 * H, { kind: 'taskOpened', taskId: 't4', requestId: 'r4', dueAt: T0 + 3 * H + 10 * M }),
  fact(T0 + 4 * H, { kind: 'taskOpened', taskId: 't5', requestId: 'r5', dueAt: T0 + 4 * H + 30 * M }),
  fact(T0 + 30 * M, {
    kind: 'verified',
    requestId: 'r1',
    taskId: 't1',
    org: 'org-hub',
    district: 'huyi',
    community: 'huyi-c',
    urgency: Urgency.URGENCY_CRITICAL,
    people: 3,
    categories: [food],
    receivedAt: T0,
  }),
  fact(T0 + 3 * H, {
    kind: 'verified',
    requestId: 'r2',
    taskId: 't2',
    org: 'org-hub',
    district: 'yanta',
    community: 'yanta-c',
    urgency: Urgency.URGENCY_HIGH,
    people: 5,
    categories: [medicine],
    receivedAt: T0 + H,
  }),
  fact(T0 + 2.5 * H, { kind: 'rejected', requestId: 'r3', taskId: 't3' }),
  fact(T0 + 4 * H, { kind: 'cancelled', requestId: 'r4' }),
  fact(T0 + 2 * H, {
    kind: 'accepted',
    proposalId: 'p1',
    requestId: 'r1',
    supplier: 'org-donor',
    category: food,
    district: 'huyi',
    community: 'huyi-c',
  }),
  fact(T0 + 4 * H, {
    kind: 'accepted',
    proposalId: 'p2',
    requestId: 'r2',
    supplier: 'org-pharma',
    category: medicine,
    district: 'yanta',
    community: 'yanta-c',
  }),
  fact(T0 + 3 * H, {
    kind: 'taskAccepted',
    taskId: 'd1',
    proposalId: 'p1',
    requestId: 'r1',
    volunteerId: 'v1',
    supplier: 'org-donor',
    district: 'huyi',
    community: 'huyi-c',
    categories: [food],
  }),
  fact(T0 + 5 * H, {
    kind: 'taskAccepted',
    taskId: 'd2',
    proposalId: 'p2',
    requestId: 'r2',
    volunteerId: 'v2',
    supplier: 'org-pharma',
    district: 'yanta',
    community: 'yanta-c',
    categories: [medicine],
  }),
  fact(T0 + 6 * H, {
    kind: 'timedOut',
    taskId: 'd2',
    requestId: 'r2',
    volunteerId: 'v2',
    supplier: 'org-pharma',
    district: 'yanta',
    community: 'yanta-c',
    categories: [medicine],
  }),
  fact(T0 + 10 * H, {
    kind: 'delivered',
    taskId: 'd1',
    proposalId: 'p1',
    requestId: 'r1',
    volunteerId: 'v1',
  }),
  fact(T0 + 10 * H, {
    kind: 'hours',
    volunteerId: 'v1',
    org: 'org-volunteers',
    taskId: 'd1',
    hours: 1.5,
    district: 'huyi',
  }),
  fact(T0 + 10 * H + M, {
    kind: 'fulfilled',
    proposalId: 'p1',
    requestId: 'r1',
    supplier: 'org-donor',
    category: food,
    itemName: '方便面',
    district: 'huyi',
    community: 'huyi-c',
    acceptedAt: T0 + 2 * H,
    lines: [
      { quantity: 30, unit: 'box', unitValue: 4500 },
      { quantity: 10, unit: 'box', unitValue: 4500 },
    ],
  }),
  fact(T0 + 10 * H + 2 * M, { kind: 'coverage', requestId: 'r1', coverage: Coverage.COVERAGE_FULFILLED }),
  fact(T0 - H, { kind: 'organisation', orgId: 'org-hub', name: '西安社区枢纽' }),
];

export const NOW = T0 + 24 * H;
export const dur = (ms: number) => ({ seconds: ms / 1000, nanos: 0 });
export const filter = (f: Partial<Filter>): Filter => ({ ...ANY, ...f });

/** A seeded shuffle, so a failure can be repeated. */
export function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Closed cases by id and by their delivery tasks' `task:` ids, as the read model archives them. */
export class MemoryArchive {
  readonly byKey = new Map<string, ClosedCase>();
  loads = 0;

  put(closed: ClosedCase[]): void {
    for (const c of closed) {
      this.byKey.set(c.id, c);
      for (const t of c.tasks) this.byKey.set(taskCaseId(t), c);
    }
  }

  /** Applies the fact as the read model does: its case opened again first when it closed before. */
  apply(figures: Figures, f: Fact): void {
    const key = figures.caseOf(f);
    if (key !== undefined && figures.mayBeClosed(key)) {
      this.loads += 1;
      const closed = this.byKey.get(key);
      if (closed) figures.reopen(closed);
    }
    figures.apply(f);
    this.put(figures.takeClosed());
  }
}

/**
 * The figures of these facts, applied in this order. `closeAfter` 0 closes each final case at once, so its
 * rows are read from the cells (and a later fact about it opens it again); the default keeps every case open.
 */
export function fold(facts: Iterable<Fact>, closeAfter = Infinity, archive = new MemoryArchive()): Figures {
  const figures = new Figures({ closeAfter });
  for (const f of facts) archive.apply(figures, f);
  return figures;
}

export { ANY, Coverage, type Filter };
