import type { ItemCategory, Quantity } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { RequestAttributes } from './facts';

/**
 * A row is one contribution to the figures, with its own time, place, categories and organisations: every
 * figure is a filter over the rows and a count or a sum. Rows come from one case's facts (case.ts); closed
 * cases' rows are summed into cells (cells.ts).
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
  /**
   * Every organisation involved (the organisation filter). A volunteerActive row lists the supplier only:
   * the volunteer's own organisation is looked up when a query runs (it is known from their hours, which may
   * come later), see Figures.affiliationOf.
   */
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

export function row(kind: RowKind, at: number, base: Partial<Row>): Row {
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

/** A verification task with no outcome yet: open past due_at it is a breach, decided when a query runs. */
export interface OpenTask {
  dueAt: number;
  row: Row;
}

/** Whether a row (or a cell of rows sharing these fields) passes the filter; `timed` applies its range. */
export function matches(
  r: Pick<Row, 'at' | 'district' | 'categories' | 'orgs'>,
  f: Filter,
  timed = true,
): boolean {
  return (!timed || inRange(r.at, r.at, f)) && matchesPlace(r, f) && matchesOrg(r.orgs, f);
}

/** Whether [first, last] meets the filter's [from, to). */
export const inRange = (first: number, last: number, f: Filter) =>
  (f.from === undefined || last >= f.from) && (f.to === undefined || first < f.to);

export const matchesPlace = (r: Pick<Row, 'district' | 'categories'>, f: Filter) =>
  (f.districts.length === 0 || f.districts.includes(r.district)) &&
  (!f.category || r.categories.includes(f.category));

export const matchesOrg = (orgs: string[], f: Filter) => !f.organisationId || orgs.includes(f.organisationId);

export const uniq = (xs: string[]) => [...new Set(xs.filter((x) => x !== ''))].sort();

/** Sums amounts per unit, units sorted. */
export function byUnit(lines: { quantity: number; unit: string }[]): Quantity[] {
  const sums = new Map<string, number>();
  for (const l of lines) sums.set(l.unit, (sums.get(l.unit) ?? 0) + l.quantity);
  return quantitiesOf(sums);
}

export const quantitiesOf = (sums: Map<string, number>): Quantity[] =>
  [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([unit, amount]) => ({ unit, amount }));

/** Adds quantities into per-unit sums (`sign` -1 takes them out again). */
export function addQuantities(into: Map<string, number>, qs: Quantity[], sign = 1): void {
  for (const q of qs) {
    const sum = (into.get(q.unit) ?? 0) + sign * q.amount;
    // Taken out to nothing: the unit goes (a unit delivered in amount 0 stays, as any delivered unit).
    if (sign < 0 && sum === 0) into.delete(q.unit);
    else into.set(q.unit, sum);
  }
}

/** Hours to 1/1000, so sums of fractions print the same after any order of addition. */
export const round = (x: number) => Math.round(x * 1000) / 1000;

export const cny = (minorUnits: number) => ({ currencyCode: 'CNY', minorUnits });
