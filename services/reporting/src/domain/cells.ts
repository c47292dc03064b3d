import { Durations } from './percentiles';
import { addQuantities, type Row, type RowKind } from './rows';

/**
 * Cells: the rows of closed cases summed per kind, hour and every field a query filters or groups on
 * (district, community, categories, credited and involved organisations). Their number is bounded by the
 * dimensions (hours × places × category sets × organisation sets that occur), not by the facts.
 *
 * A cell is read as a whole: the time range of a query takes a cell when any of its rows may fall inside
 * ([first, last] meets [from, to)), which is exact whenever the range's bounds are whole hours (as in every
 * whole-hour time zone's hour or day buckets, e.g. Asia/Shanghai's); a bound inside an hour takes or leaves
 * that hour's rows of closed cases together.
 */
export const CELL_MS = 3600_000;

export interface Cell {
  kind: RowKind;
  /** Times of its earliest and latest row (bounds only, once a row was taken out). */
  first: number;
  last: number;
  district: string;
  community: string;
  categories: Row['categories'];
  org: string;
  orgs: string[];
  count: number;
  people: number;
  hours: number;
  value: number;
  units: Map<string, number>;
  /** Rows per volunteer (volunteerActive: active volunteers are counted distinct). */
  volunteers?: Map<string, number>;
  /** The time-to rows' durations. */
  durations?: Durations;
}

const DURATION_KINDS = new Set<RowKind>(['timeToVerify', 'timeToMatch', 'timeToDeliver']);

function empty(r: Row): Cell {
  return {
    kind: r.kind,
    first: r.at,
    last: r.at,
    district: r.district,
    community: r.community,
    categories: r.categories,
    org: r.org,
    orgs: r.orgs,
    count: 0,
    people: 0,
    hours: 0,
    value: 0,
    units: new Map(),
    volunteers: r.kind === 'volunteerActive' ? new Map() : undefined,
    durations: DURATION_KINDS.has(r.kind) ? new Durations() : undefined,
  };
}

/** Adds the row into the cell (`sign` -1 takes it out). */
function apply(c: Cell, r: Row, sign: 1 | -1): void {
  c.count += sign;
  c.people += sign * r.people;
  c.hours += sign * r.hours;
  c.value += sign * r.value;
  addQuantities(c.units, r.quantities, sign);
  if (c.volunteers) {
    const n = (c.volunteers.get(r.volunteerId) ?? 0) + sign;
    if (n === 0) c.volunteers.delete(r.volunteerId);
    else c.volunteers.set(r.volunteerId, n);
  }
  if (c.durations) {
    if (sign > 0) c.durations.add(r.ms);
    else c.durations.remove(r.ms);
  }
  if (sign > 0) {
    c.first = Math.min(c.first, r.at);
    c.last = Math.max(c.last, r.at);
  }
}

/** A cell holding one row: how an open case's rows are read, beside the closed cases' cells. */
export function cellOf(r: Row): Cell {
  const c = empty(r);
  apply(c, r, 1);
  return c;
}

export const cellKey = (r: Row) =>
  [
    r.kind,
    Math.floor(r.at / CELL_MS),
    r.district,
    r.community,
    r.categories.join(','),
    r.org,
    r.orgs.join(','),
  ].join('\u0000');

export class Cells {
  private readonly cells = new Map<string, Cell>();

  get size(): number {
    return this.cells.size;
  }

  values(): IterableIterator<Cell> {
    return this.cells.values();
  }

  add(r: Row): void {
    const key = cellKey(r);
    let c = this.cells.get(key);
    if (!c) {
      c = empty(r);
      this.cells.set(key, c);
    }
    apply(c, r, 1);
  }

  /** Takes out a row added before; a cell left with no rows goes. */
  remove(r: Row): void {
    const key = cellKey(r);
    const c = this.cells.get(key);
    if (!c) throw new Error(`no cell holds the ${r.kind} row at ${r.at}`);
    apply(c, r, -1);
    if (c.count === 0) this.cells.delete(key);
  }
}
