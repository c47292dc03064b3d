import { findDistrict } from '@nuanyang/common';
import { ItemCategory, itemCategoryToJSON } from '@nuanyang/proto/nuanyang/common/v1/common';
import { type BreakdownFigures, Dimension } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { Cell } from './cells';
import type { Figures } from './figures';
import { addQuantities, cny, type Filter, matchesOrg, quantitiesOf, type RowKind, round } from './rows';

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

/** A cell's keys in a dimension (several for a request of several categories). */
export function keysOf(
  c: Pick<Cell, 'district' | 'community' | 'categories' | 'org'>,
  dim: Dimension,
): string[] {
  switch (dim) {
    case Dimension.DIMENSION_DISTRICT:
      return [c.district];
    case Dimension.DIMENSION_COMMUNITY:
      return [`${c.district}/${c.community}`];
    case Dimension.DIMENSION_CATEGORY:
      return c.categories.length
        ? c.categories.map((x) => itemCategoryToJSON(x))
        : [itemCategoryToJSON(ItemCategory.ITEM_CATEGORY_UNSPECIFIED)];
    default:
      return [c.org];
  }
}

export function labelOf(key: string, dim: Dimension, orgName: (id: string) => string | undefined): string {
  switch (dim) {
    case Dimension.DIMENSION_DISTRICT:
      return findDistrict(key)?.nameZh ?? key;
    case Dimension.DIMENSION_COMMUNITY: {
      const [district = '', community = ''] = key.split(/\/(.*)/s);
      return `${findDistrict(district)?.nameZh ?? district} ${community}`.trim();
    }
    case Dimension.DIMENSION_ORGANISATION:
      return orgName(key) ?? key;
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
export function breakdown(fig: Figures, f: Filter, dims: Dimension[]): BreakdownRowView[] {
  const groups = new Map<string, { keys: string[]; f: BreakdownFigures; units: Map<string, number> }>();
  for (const c of fig.select(f, BREAKDOWN_KINDS)) {
    if (!matchesOrg(c.orgs, f)) continue;
    for (const keys of combinations(dims.map((dim) => keysOf(c, dim)))) {
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
      if (c.kind === 'collected') x.requestsCollected += c.count;
      else if (c.kind === 'verified') x.requestsVerified += c.count;
      else if (c.kind === 'matched') x.requestsMatched += c.count;
      else if (c.kind === 'fulfilled') {
        x.requestsFulfilled += c.count;
        x.peopleHelped += c.people;
      } else if (c.kind === 'delivery') {
        x.deliveries += c.count;
        for (const [unit, amount] of c.units) addQuantities(g.units, [{ unit, amount }]);
        x.suppliesValue = cny((x.suppliesValue?.minorUnits ?? 0) + c.value);
      } else if (c.kind === 'hours') x.volunteerHours += c.hours;
    }
  }
  const name = (id: string) => fig.orgName(id);
  return [...groups.values()]
    .sort((a, b) => compareKeys(a.keys, b.keys))
    .map((g) => ({
      keys: g.keys,
      labels: g.keys.map((k, i) => labelOf(k, dims[i] ?? Dimension.DIMENSION_UNSPECIFIED, name)),
      figures: {
        ...g.f,
        suppliesQuantities: quantitiesOf(g.units),
        volunteerHours: round(g.f.volunteerHours),
      },
    }));
}
