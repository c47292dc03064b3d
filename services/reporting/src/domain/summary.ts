import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { Summary } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { Cell } from './cells';
import type { Figures } from './figures';
import { type Durations, durationFigure } from './percentiles';
import {
  addQuantities,
  cny,
  type Filter,
  matches,
  matchesOrg,
  quantitiesOf,
  type RowKind,
  round,
} from './rows';

/**
 * The volunteers of a volunteerActive cell that pass the organisation filter: all when the supplier is the
 * organisation, else those affiliated with it.
 */
function volunteersOf(fig: Figures, c: Cell, f: Filter): string[] {
  const all = [...(c.volunteers?.keys() ?? [])];
  return matchesOrg(c.orgs, f) ? all : all.filter((v) => fig.affiliationOf(v) === f.organisationId);
}

/** The headline figures of the rows that pass the filter; `now` decides which open tasks are overdue. */
export function summarise(fig: Figures, f: Filter, now: number): Summary {
  const counts = new Map<RowKind, number>();
  let peopleHelped = 0;
  let emergency = 0;
  let value = 0;
  let hours = 0;
  let asOf: number | undefined;
  const durations: Record<'timeToVerify' | 'timeToMatch' | 'timeToDeliver', Durations[]> = {
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
  for (const c of fig.select(f)) {
    if (c.kind === 'volunteerActive') {
      const vs = volunteersOf(fig, c, f);
      if (vs.length === 0) continue;
      for (const v of vs) volunteers.add(v);
    } else if (!matchesOrg(c.orgs, f)) continue;
    counts.set(c.kind, (counts.get(c.kind) ?? 0) + c.count);
    if (asOf === undefined || c.last > asOf) asOf = c.last;
    switch (c.kind) {
      case 'fulfilled':
        peopleHelped += c.people;
        break;
      case 'emergency':
        emergency += c.people;
        break;
      case 'hours':
        hours += c.hours;
        break;
      case 'timeToVerify':
      case 'timeToMatch':
      case 'timeToDeliver':
        if (c.durations) durations[c.kind].push(c.durations);
        break;
      case 'delivery': {
        const category = c.categories[0] ?? ItemCategory.ITEM_CATEGORY_UNSPECIFIED;
        const x = byCategory.get(category) ?? { units: new Map(), value: 0, deliveries: 0 };
        for (const [unit, amount] of c.units) addQuantities(x.units, [{ unit, amount }]);
        x.value += c.value;
        x.deliveries += c.count;
        byCategory.set(category, x);
        value += c.value;
        if (c.district) districts.add(c.district);
        if (c.district && c.community) communities.add(`${c.district}/${c.community}`);
        break;
      }
      default:
    }
  }
  const count = (k: RowKind) => counts.get(k) ?? 0;
  const overdue = [...fig.openTasks()].filter((t) => t.dueAt < now);

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
      .map(([category, x]) => ({
        category,
        quantities: quantitiesOf(x.units),
        value: cny(x.value),
        deliveries: x.deliveries,
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
