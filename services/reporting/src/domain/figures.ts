import { findDistrict } from '@nuanyang/common';
import type { Duration } from '@nuanyang/proto/google/protobuf/duration';
import {
  ItemCategory,
  itemCategoryToJSON,
  type Quantity,
  Urgency,
} from '@nuanyang/proto/nuanyang/common/v1/common';
import { Coverage } from '@nuanyang/proto/nuanyang/matching/v1/events';
import {
  type BreakdownFigures,
  Dimension,
  type DurationFigure,
  Metric,
  type Summary,
} from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { Fact, RequestAttributes } from './facts';

/**
 * Report arithmetic. The facts are first folded into one view per help request, proposal and task (so the
 * result does not depend on the order the facts arrived in: a fulfilment seen before its receipt counts
 * the same), then into rows, one per figure contribution with its own time, place, categories and
 * organisations. Every figure is a filter over the rows and a count or a sum.
 */

/** ReportFilter in domain terms: times in epoch ms, category 0 and organisation '' match everything. */
export interface Filter {
  from?: number;
  to?: number;
  districts: string[];
  category: ItemCategory;
  organisationId: string;
}

export const ANY: Filter = { districts: [], category: 0, organisationId: '' };

export type RowKind =
  | 'collected'
  | 'verified'
  | 'rejected'
  | 'duplicate'
  | 'unreachable'
  | 'cancelled'
  | 'matched'
  | 'fulfilled'
  | 'emergency'
  | 'delivery'
  | 'volunteerActive'
  | 'hours'
  | 'timeToVerify'
  | 'timeToMatch'
  | 'timeToDeliver'
  | 'verificationBreach'
  | 'deliveryTimeout';

/** One contribution to the figures. */
export interface Row {
  kind: RowKind;
  /** When it happened: the time the filter's range and the time series look at. */
  at: number;
  district: string;
  community: string;
  /** Empty when unknown (matches no category filter). */
  categories: ItemCategory[];
  /** The organisation the contribution is credited to (the ORGANISATION dimension). */
  org: string;
  /** Every organisation involved (the organisation filter). */
  orgs: string[];
  /** The request's people affected (request rows; summed for fulfilled and emergency rows). */
  people: number;
  /** Duration of the time-to rows. */
  ms: number;
  hours: number;
  volunteerId: string;
  /** Delivered quantities per unit and their value in fen (delivery rows). */
  quantities: Quantity[];
  value: number;
}

/** A help request as the facts tell it. */
export interface RequestView extends RequestAttributes {
  id: string;
  receivedAt?: number;
  verifiedAt?: number;
  rejectedAt?: number;
  duplicateAt?: number;
  unreachableAt?: number;
  cancelledAt?: number;
  /** First accepted proposal. */
  matchedAt?: number;
  /** First coverage FULFILLED. */
  fulfilledAt?: number;
  suppliers: string[];
}

/** A fulfilled proposal: one delivery. */
export interface DeliveryView {
  proposalId: string;
  requestId: string;
  at: number;
  supplier: string;
  category: ItemCategory;
  itemName: string;
  district: string;
  community: string;
  quantities: Quantity[];
  value: number;
  /** Quantity and value (fen) per unit. */
  perUnit: { amount: number; unit: string; value: number }[];
}

/** A verification task with no outcome yet (open past due_at is a breach). */
interface OpenTask {
  dueAt: number;
  row: Row;
}

export interface Derived {
  rows: Row[];
  openTasks: OpenTask[];
  requests: RequestView[];
  deliveries: DeliveryView[];
  orgNames: Map<string, string>;
  /** Newest fact time of all, for as_of. */
  newest?: number;
}

type Of<K extends Fact['kind']> = Fact & { kind: K };

/** Earliest by time, ties broken by id: the same choice whatever the arrival order. */
const earlier = <F extends Fact>(a: F | undefined, b: F): F =>
  !a || b.at < a.at || (b.at === a.at && b.id < a.id) ? b : a;

function keepEarliest<K extends Fact['kind']>(map: Map<string, Of<K>>, key: string, fact: Of<K>) {
  map.set(key, earlier(map.get(key), fact));
}

const uniq = (xs: string[]) => [...new Set(xs.filter((x) => x !== ''))].sort();

function row(kind: RowKind, at: number, base: Partial<Row>): Row {
  return {
    kind,
    at,
    district: '',
    community: '',
    categories: [],
    org: '',
    orgs: [],
    people: 0,
    ms: 0,
    hours: 0,
    volunteerId: '',
    quantities: [],
    value: 0,
    ...base,
  };
}

/** Sums amounts per unit, units sorted. */
function byUnit(lines: { quantity: number; unit: string }[]): Quantity[] {
  const sums = new Map<string, number>();
  for (const l of lines) sums.set(l.unit, (sums.get(l.unit) ?? 0) + l.quantity);
  return [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([unit, amount]) => ({ unit, amount }));
}

/**
 * The request's attributes: place and organisation as received (the verified event's when the receipt is
 * not known), urgency, people and categories as verified when verified (the verifier's corrections win),
 * else as received.
 */
function attributesOf(
  received: Of<'received'> | undefined,
  verified: Of<'verified'> | undefined,
  accepted: Of<'accepted'> | undefined,
): RequestAttributes {
  const place = received ?? verified;
  return {
    org: place?.org || verified?.org || '',
    district: place?.district || accepted?.district || '',
    community: place?.community || accepted?.community || '',
    urgency: verified?.urgency || received?.urgency || Urgency.URGENCY_UNSPECIFIED,
    people: verified?.people || received?.people || 0,
    categories: verified?.categories.length ? verified.categories : (received?.categories ?? []),
  };
}

/** Folds the facts (any order, each once) into views and rows. */
export function derive(facts: Iterable<Fact>): Derived {
  const received = new Map<string, Of<'received'>>();
  const verified = new Map<string, Of<'verified'>>();
  const outcome = {
    rejected: new Map<string, Of<'rejected'>>(),
    duplicate: new Map<string, Of<'duplicate'>>(),
    unreachable: new Map<string, Of<'unreachable'>>(),
  };
  const cancelled = new Map<string, Of<'cancelled'>>();
  const firstAccepted = new Map<string, Of<'accepted'>>();
  const suppliers = new Map<string, Set<string>>();
  const fulfilledCoverage = new Map<string, Of<'coverage'>>();
  const acceptedProposal = new Map<string, Of<'accepted'>>();
  const fulfilledProposal = new Map<string, Of<'fulfilled'>>();
  const deliveredProposal = new Map<string, Of<'delivered'>>();
  const tasksOpened = new Map<string, Of<'taskOpened'>>();
  const taskOutcome = new Map<string, Fact>();
  const timedOut = new Map<string, Of<'timedOut'>>();
  const taskAccepted: Of<'taskAccepted'>[] = [];
  const deliveryTasks = new Map<string, Of<'taskAccepted'>>();
  const hours: Of<'hours'>[] = [];
  const affiliation = new Map<string, Of<'hours'>>();
  const orgNames = new Map<string, Of<'organisation'>>();
  const requestIds = new Set<string>();
  let newest: number | undefined;

  const supplied = (requestId: string, supplier: string) => {
    const set = suppliers.get(requestId) ?? new Set<string>();
    set.add(supplier);
    suppliers.set(requestId, set);
  };

  const seen = new Set<string>();
  for (const f of facts) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    newest = newest === undefined ? f.at : Math.max(newest, f.at);
    switch (f.kind) {
      case 'received':
        requestIds.add(f.requestId);
        keepEarliest(received, f.requestId, f);
        break;
      case 'cancelled':
        requestIds.add(f.requestId);
        keepEarliest(cancelled, f.requestId, f);
        break;
      case 'verified':
        requestIds.add(f.requestId);
        keepEarliest(verified, f.requestId, f);
        keepEarliest(taskOutcome, f.taskId, f);
        break;
      case 'rejected':
      case 'duplicate':
      case 'unreachable':
        requestIds.add(f.requestId);
        keepEarliest(outcome[f.kind] as Map<string, Fact>, f.requestId, f);
        keepEarliest(taskOutcome, f.taskId, f);
        break;
      case 'taskOpened':
        keepEarliest(tasksOpened, f.taskId, f);
        break;
      case 'accepted':
        requestIds.add(f.requestId);
        keepEarliest(firstAccepted, f.requestId, f);
        keepEarliest(acceptedProposal, f.proposalId, f);
        supplied(f.requestId, f.supplier);
        break;
      case 'fulfilled':
        requestIds.add(f.requestId);
        keepEarliest(fulfilledProposal, f.proposalId, f);
        supplied(f.requestId, f.supplier);
        break;
      case 'coverage':
        requestIds.add(f.requestId);
        if (f.coverage === Coverage.COVERAGE_FULFILLED) keepEarliest(fulfilledCoverage, f.requestId, f);
        break;
      case 'delivered':
        keepEarliest(deliveredProposal, f.proposalId, f);
        break;
      case 'timedOut':
        keepEarliest(timedOut, f.taskId, f);
        break;
      case 'taskAccepted':
        taskAccepted.push(f);
        keepEarliest(deliveryTasks, f.taskId, f);
        break;
      case 'hours':
        hours.push(f);
        keepEarliest(affiliation, f.volunteerId, f);
        break;
      case 'organisation': {
        // The latest registration names the organisation.
        const known = orgNames.get(f.orgId);
        if (!known || f.at > known.at || (f.at === known.at && f.id > known.id)) orgNames.set(f.orgId, f);
        break;
      }
    }
  }

  const rows: Row[] = [];
  const requests = new Map<string, RequestView>();
  const base = new Map<string, Partial<Row>>();
  for (const id of [...requestIds].sort()) {
    const r = received.get(id);
    const v = verified.get(id);
    const accepted = firstAccepted.get(id);
    const attrs = attributesOf(r, v, accepted);
    const view: RequestView = {
      id,
      ...attrs,
      receivedAt: r?.at ?? v?.receivedAt,
      verifiedAt: v?.at,
      rejectedAt: outcome.rejected.get(id)?.at,
      duplicateAt: outcome.duplicate.get(id)?.at,
      unreachableAt: outcome.unreachable.get(id)?.at,
      cancelledAt: cancelled.get(id)?.at,
      matchedAt: accepted?.at,
      fulfilledAt: fulfilledCoverage.get(id)?.at,
      suppliers: uniq([...(suppliers.get(id) ?? [])]),
    };
    requests.set(id, view);
    const b: Partial<Row> = {
      district: attrs.district,
      community: attrs.community,
      categories: attrs.categories,
      org: attrs.org,
      orgs: uniq([attrs.org, ...view.suppliers]),
      people: attrs.people,
    };
    base.set(id, b);
    if (r) rows.push(row('collected', r.at, b));
    for (const [kind, at] of [
      ['verified', view.verifiedAt],
      ['rejected', view.rejectedAt],
      ['duplicate', view.duplicateAt],
      ['unreachable', view.unreachableAt],
      ['cancelled', view.cancelledAt],
      ['matched', view.matchedAt],
    ] as const) {
      if (at !== undefined) rows.push(row(kind, at, b));
    }
    if (view.fulfilledAt !== undefined) rows.push(row('fulfilled', view.fulfilledAt, b));
    if (view.verifiedAt !== undefined && attrs.urgency === Urgency.URGENCY_CRITICAL)
      rows.push(row('emergency', view.verifiedAt, b));
    if (view.receivedAt !== undefined && view.verifiedAt !== undefined)
      rows.push(
        row('timeToVerify', view.verifiedAt, { ...b, ms: Math.max(0, view.verifiedAt - view.receivedAt) }),
      );
    if (view.verifiedAt !== undefined && view.matchedAt !== undefined)
      rows.push(
        row('timeToMatch', view.matchedAt, { ...b, ms: Math.max(0, view.matchedAt - view.verifiedAt) }),
      );
  }

  // Deliveries: one per fulfilled proposal; time to deliver from acceptance to the volunteer's delivery.
  const deliveries: DeliveryView[] = [];
  const proposalIds = new Set([
    ...acceptedProposal.keys(),
    ...fulfilledProposal.keys(),
    ...deliveredProposal.keys(),
  ]);
  for (const pid of [...proposalIds].sort()) {
    const accepted = acceptedProposal.get(pid);
    const fulfilled = fulfilledProposal.get(pid);
    const delivered = deliveredProposal.get(pid);
    const requestId = fulfilled?.requestId ?? accepted?.requestId ?? delivered?.requestId ?? '';
    const req = base.get(requestId) ?? {};
    const supplier = fulfilled?.supplier ?? accepted?.supplier ?? '';
    const category = fulfilled?.category ?? accepted?.category ?? ItemCategory.ITEM_CATEGORY_UNSPECIFIED;
    const place = {
      district: fulfilled?.district || accepted?.district || req.district || '',
      community: fulfilled?.community || accepted?.community || req.community || '',
    };
    const b: Partial<Row> = {
      ...place,
      categories: category ? [category] : [],
      org: supplier,
      orgs: uniq([supplier, req.org ?? '']),
    };
    if (fulfilled) {
      const quantities = byUnit(fulfilled.lines);
      const value = fulfilled.lines.reduce((sum, l) => sum + l.quantity * l.unitValue, 0);
      rows.push(row('delivery', fulfilled.at, { ...b, quantities, value }));
      deliveries.push({
        proposalId: pid,
        requestId,
        at: fulfilled.at,
        supplier,
        category,
        itemName: fulfilled.itemName,
        ...place,
        quantities,
        value,
        perUnit: quantities.map((q) => ({
          ...q,
          value: fulfilled.lines.reduce(
            (sum, l) => (l.unit === q.unit ? sum + l.quantity * l.unitValue : sum),
            0,
          ),
        })),
      });
    }
    const acceptedAt = accepted?.at ?? fulfilled?.acceptedAt;
    const deliveredAt = delivered?.at ?? fulfilled?.at;
    if (acceptedAt !== undefined && deliveredAt !== undefined)
      rows.push(row('timeToDeliver', deliveredAt, { ...b, ms: Math.max(0, deliveredAt - acceptedAt) }));
  }

  // Verification SLA: an outcome after due_at is a breach when it happened; a task still open is one from
  // due_at on (decided at query time). A cancelled request's task is closed without an outcome.
  const openTasks: OpenTask[] = [];
  for (const [taskId, t] of [...tasksOpened.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const b = base.get(t.requestId) ?? {};
    const done = taskOutcome.get(taskId);
    if (done) {
      if (done.at > t.dueAt) rows.push(row('verificationBreach', done.at, b));
    } else if (!cancelled.has(t.requestId)) {
      openTasks.push({ dueAt: t.dueAt, row: row('verificationBreach', t.dueAt, b) });
    }
  }

  for (const t of timedOut.values()) {
    rows.push(
      row('deliveryTimeout', t.at, {
        district: t.district,
        community: t.community,
        categories: t.categories,
        org: t.supplier,
        orgs: uniq([t.supplier, base.get(t.requestId)?.org ?? '']),
        volunteerId: t.volunteerId,
      }),
    );
  }

  for (const t of taskAccepted) {
    const org = affiliation.get(t.volunteerId)?.org ?? '';
    rows.push(
      row('volunteerActive', t.at, {
        district: t.district,
        community: t.community,
        categories: t.categories,
        org,
        orgs: uniq([org, t.supplier]),
        volunteerId: t.volunteerId,
      }),
    );
  }
  for (const h of hours) {
    const task = deliveryTasks.get(h.taskId);
    rows.push(
      row('hours', h.at, {
        district: h.district || task?.district || '',
        community: task && task.district === h.district ? task.community : '',
        categories: task?.categories ?? [],
        org: h.org,
        orgs: uniq([h.org]),
        volunteerId: h.volunteerId,
        hours: h.hours,
      }),
    );
  }

  rows.sort((a, b) => a.at - b.at);
  return {
    rows,
    openTasks,
    requests: [...requests.values()],
    deliveries,
    orgNames: new Map([...orgNames].map(([id, f]) => [id, f.name])),
    newest,
  };
}

export function matches(r: Pick<Row, 'at' | 'district' | 'categories' | 'orgs'>, f: Filter, timed = true) {
  return (
    (!timed || f.from === undefined || r.at >= f.from) &&
    (!timed || f.to === undefined || r.at < f.to) &&
    (f.districts.length === 0 || f.districts.includes(r.district)) &&
    (!f.category || r.categories.includes(f.category)) &&
    (!f.organisationId || r.orgs.includes(f.organisationId))
  );
}

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

function durationFigure(samples: number[]): DurationFigure {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 0.5);
  const p90 = percentile(sorted, 0.9);
  return {
    samples: sorted.length,
    p50: p50 === undefined ? undefined : durationOf(p50),
    p90: p90 === undefined ? undefined : durationOf(p90),
  };
}

export const cny = (minorUnits: number) => ({ currencyCode: 'CNY', minorUnits });

/** Adds quantities into per-unit sums (units sorted). */
function addQuantities(into: Map<string, number>, qs: Quantity[]) {
  for (const q of qs) into.set(q.unit, (into.get(q.unit) ?? 0) + q.amount);
}
const quantitiesOf = (sums: Map<string, number>): Quantity[] =>
  [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([unit, amount]) => ({ unit, amount }));

/** The headline figures of the rows that pass the filter; `now` decides which open tasks are overdue. */
export function summarise(d: Derived, f: Filter, now: number): Summary {
  // One pass over the rows: counts and sums per kind, durations, supplies, places and volunteers.
  const counts = new Map<RowKind, number>();
  let peopleHelped = 0;
  let emergency = 0;
  let value = 0;
  let hours = 0;
  let asOf: number | undefined;
  const durations: Record<'timeToVerify' | 'timeToMatch' | 'timeToDeliver', number[]> = {
    timeToVerify: [],
    timeToMatch: [],
    timeToDeliver: [],
  };
  const byCategory = new Map<
    ItemCategory,
    { units: Map<string, number>; value: number; deliveries: number }
  >();
  const districts = new Set<string>();
  const communities = new Set<string>();
  const volunteers = new Set<string>();
  for (const r of d.rows) {
    if (!matches(r, f)) continue;
    counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
    if (asOf === undefined || r.at > asOf) asOf = r.at;
    switch (r.kind) {
      case 'fulfilled':
        peopleHelped += r.people;
        break;
      case 'emergency':
        emergency += r.people;
        break;
      case 'hours':
        hours += r.hours;
        break;
      case 'volunteerActive':
        volunteers.add(r.volunteerId);
        break;
      case 'timeToVerify':
      case 'timeToMatch':
      case 'timeToDeliver':
        durations[r.kind].push(r.ms);
        break;
      case 'delivery': {
        const category = r.categories[0] ?? ItemCategory.ITEM_CATEGORY_UNSPECIFIED;
        const c = byCategory.get(category) ?? { units: new Map(), value: 0, deliveries: 0 };
        addQuantities(c.units, r.quantities);
        c.value += r.value;
        c.deliveries += 1;
        byCategory.set(category, c);
        value += r.value;
        if (r.district) districts.add(r.district);
        if (r.district && r.community) communities.add(`${r.district}/${r.community}`);
        break;
      }
      default:
    }
  }
  const count = (k: RowKind) => counts.get(k) ?? 0;
  const overdue = d.openTasks.filter((t) => t.dueAt < now);

  return {
    asOf: asOf === undefined ? undefined : new Date(asOf),
    requests: {
      collected: count('collected'),
      verified: count('verified'),
      rejected: count('rejected'),
      duplicates: count('duplicate'),
      unreachable: count('unreachable'),
      cancelled: count('cancelled'),
      matched: count('matched'),
      fulfilled: count('fulfilled'),
      peopleHelped,
      emergencyResponses: emergency,
    },
    supplies: [...byCategory.entries()]
      .sort(([a], [b]) => a - b)
      .map(([category, c]) => ({
        category,
        quantities: quantitiesOf(c.units),
        value: cny(c.value),
        deliveries: c.deliveries,
      })),
    suppliesValue: cny(value),
    districtsReached: districts.size,
    communitiesReached: communities.size,
    activeVolunteers: volunteers.size,
    volunteerHours: round(hours),
    timeToVerify: durationFigure(durations.timeToVerify),
    timeToMatch: durationFigure(durations.timeToMatch),
    timeToDeliver: durationFigure(durations.timeToDeliver),
    sla: {
      // Completed late (rows), plus open past due_at within the filter.
      verificationBreaches: count('verificationBreach') + overdue.filter((t) => matches(t.row, f)).length,
      deliveryTimeouts: count('deliveryTimeout'),
      // Right now, whatever the time range.
      verificationOverdueNow: overdue.filter((t) => matches(t.row, f, false)).length,
    },
  };
}

/** Hours to 1/1000, so sums of fractions print the same after any order of addition. */
const round = (x: number) => Math.round(x * 1000) / 1000;

const BREAKDOWN_KINDS = new Set<RowKind>([
  'collected',
  'verified',
  'matched',
  'fulfilled',
  'delivery',
  'hours',
]);

export interface BreakdownRowView {
  keys: string[];
  labels: string[];
  figures: BreakdownFigures;
}

function keysOf(r: Row, dim: Dimension): string[] {
  switch (dim) {
    case Dimension.DIMENSION_DISTRICT:
      return [r.district];
    case Dimension.DIMENSION_COMMUNITY:
      return [`${r.district}/${r.community}`];
    case Dimension.DIMENSION_CATEGORY:
      return r.categories.length
        ? r.categories.map((c) => itemCategoryToJSON(c))
        : [itemCategoryToJSON(ItemCategory.ITEM_CATEGORY_UNSPECIFIED)];
    default:
      return [r.org];
  }
}

export function labelOf(key: string, dim: Dimension, orgNames: Map<string, string>): string {
  switch (dim) {
    case Dimension.DIMENSION_DISTRICT:
      return findDistrict(key)?.nameZh ?? key;
    case Dimension.DIMENSION_COMMUNITY: {
      const [district = '', community = ''] = key.split(/\/(.*)/s);
      return `${findDistrict(district)?.nameZh ?? district} ${community}`.trim();
    }
    case Dimension.DIMENSION_ORGANISATION:
      return orgNames.get(key) ?? key;
    default:
      return key;
  }
}

/** Cartesian product of each dimension's keys (a request with two categories counts under both). */
function combinations(lists: string[][]): string[][] {
  return lists.reduce<string[][]>((acc, list) => acc.flatMap((a) => list.map((k) => [...a, k])), [[]]);
}

const compareKeys = (a: string[], b: string[]) => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

/** Figures grouped by the dimensions, ordered by keys. */
export function breakdown(d: Derived, f: Filter, dims: Dimension[]): BreakdownRowView[] {
  const groups = new Map<string, { keys: string[]; f: BreakdownFigures; units: Map<string, number> }>();
  for (const r of d.rows) {
    if (!BREAKDOWN_KINDS.has(r.kind) || !matches(r, f)) continue;
    for (const keys of combinations(dims.map((dim) => keysOf(r, dim)))) {
      const id = JSON.stringify(keys);
      let g = groups.get(id);
      if (!g) {
        g = {
          keys,
          units: new Map(),
          f: {
            requestsCollected: 0,
            requestsVerified: 0,
            requestsMatched: 0,
            requestsFulfilled: 0,
            peopleHelped: 0,
            suppliesQuantities: [],
            suppliesValue: cny(0),
            deliveries: 0,
            volunteerHours: 0,
          },
        };
        groups.set(id, g);
      }
      const x = g.f;
      if (r.kind === 'collected') x.requestsCollected += 1;
      else if (r.kind === 'verified') x.requestsVerified += 1;
      else if (r.kind === 'matched') x.requestsMatched += 1;
      else if (r.kind === 'fulfilled') {
        x.requestsFulfilled += 1;
        x.peopleHelped += r.people;
      } else if (r.kind === 'delivery') {
        x.deliveries += 1;
        addQuantities(g.units, r.quantities);
        x.suppliesValue = cny((x.suppliesValue?.minorUnits ?? 0) + r.value);
      } else if (r.kind === 'hours') x.volunteerHours += r.hours;
    }
  }
  return [...groups.values()]
    .sort((a, b) => compareKeys(a.keys, b.keys))
    .map((g) => ({
      keys: g.keys,
      labels: g.keys.map((k, i) => labelOf(k, dims[i] ?? Dimension.DIMENSION_UNSPECIFIED, d.orgNames)),
      figures: {
        ...g.f,
        suppliesQuantities: quantitiesOf(g.units),
        volunteerHours: round(g.f.volunteerHours),
      },
    }));
}

/** What each time-series metric counts or sums. */
const METRIC: Record<number, { kind: RowKind; of: (r: Row) => number }> = {
  [Metric.METRIC_REQUESTS_COLLECTED]: { kind: 'collected', of: () => 1 },
  [Metric.METRIC_REQUESTS_VERIFIED]: { kind: 'verified', of: () => 1 },
  [Metric.METRIC_REQUESTS_MATCHED]: { kind: 'matched', of: () => 1 },
  [Metric.METRIC_REQUESTS_FULFILLED]: { kind: 'fulfilled', of: () => 1 },
  [Metric.METRIC_PEOPLE_HELPED]: { kind: 'fulfilled', of: (r) => r.people },
  [Metric.METRIC_DELIVERIES]: { kind: 'delivery', of: () => 1 },
  [Metric.METRIC_SUPPLIES_VALUE]: { kind: 'delivery', of: (r) => r.value },
  [Metric.METRIC_VOLUNTEER_HOURS]: { kind: 'hours', of: (r) => r.hours },
};

/**
 * Per metric, the value of each bucket (bucket starts given ascending; a row belongs to the last bucket
 * starting at or before it). The filter's range is expected to start at the first bucket.
 */
export function series(d: Derived, f: Filter, metrics: Metric[], starts: number[]): number[][] {
  const rows = d.rows.filter((r) => matches(r, f));
  return metrics.map((m) => {
    const spec = METRIC[m];
    const values = starts.map(() => 0);
    if (!spec) return values;
    for (const r of rows) {
      if (r.kind !== spec.kind) continue;
      const i = bucketIndex(starts, r.at);
      if (i >= 0) values[i] = (values[i] ?? 0) + spec.of(r);
    }
    return m === Metric.METRIC_VOLUNTEER_HOURS ? values.map(round) : values;
  });
}

function bucketIndex(starts: number[], at: number): number {
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
