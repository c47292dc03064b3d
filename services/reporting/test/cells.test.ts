import { CELL_MS, Cells, cellKey, cellOf } from '../src/domain/cells';
import { type Row, row } from '../src/domain/rows';
import { T0 } from './fixtures';

const at = (min: number) => T0 + min * 60_000;
const delivery = (t: number, extra: Partial<Row> = {}) =>
  row('delivery', t, {
    district: 'huyi',
    community: 'c',
    categories: [2],
    org: 'org-donor',
    orgs: ['org-donor', 'org-hub'],
    quantities: [{ unit: 'box', amount: 10 }],
    value: 45_000,
    ...extra,
  });

describe('cells', () => {
  it.each([
    ['the same hour and fields', delivery(at(0)), delivery(at(59)), true],
    ['another hour', delivery(at(0)), delivery(at(60)), false],
    ['another kind', delivery(at(0)), row('hours', at(0), {}), false],
    ['another community', delivery(at(0)), delivery(at(0), { community: 'd' }), false],
    ['other categories', delivery(at(0)), delivery(at(0), { categories: [2, 3] }), false],
    ['another credited organisation', delivery(at(0)), delivery(at(0), { org: 'org-x' }), false],
    ['other organisations involved', delivery(at(0)), delivery(at(0), { orgs: ['org-donor'] }), false],
    ['another amount', delivery(at(0)), delivery(at(0), { value: 1 }), true],
  ])('%s: one cell is %s', (_what, a, b, same) => {
    expect(cellKey(a) === cellKey(b)).toBe(same);
  });

  it('sums rows, keeps the earliest and latest time, and loses a cell when its last row goes', () => {
    const cells = new Cells();
    cells.add(delivery(at(10)));
    cells.add(delivery(at(40), { quantities: [{ unit: 'kg', amount: 2 }], value: 100 }));
    expect(cells.size).toBe(1);
    const [c] = [...cells.values()];
    expect(c).toMatchObject({ count: 2, value: 45_100, first: at(10), last: at(40) });
    expect([...(c?.units ?? [])]).toEqual([
      ['box', 10],
      ['kg', 2],
    ]);
    cells.remove(delivery(at(40), { quantities: [{ unit: 'kg', amount: 2 }], value: 100 }));
    expect([...(c?.units ?? [])]).toEqual([['box', 10]]);
    cells.remove(delivery(at(10)));
    expect(cells.size).toBe(0);
    expect(() => cells.remove(delivery(at(10)))).toThrow(/no cell/);
  });

  it('counts each volunteer of an activity cell, and takes them out again', () => {
    const cells = new Cells();
    const active = (v: string) => row('volunteerActive', at(5), { volunteerId: v, orgs: ['org-donor'] });
    for (const v of ['v1', 'v1', 'v2']) cells.add(active(v));
    const [c] = [...cells.values()];
    expect([...(c?.volunteers ?? [])]).toEqual([
      ['v1', 2],
      ['v2', 1],
    ]);
    cells.remove(active('v1'));
    cells.remove(active('v2'));
    expect([...(c?.volunteers ?? [])]).toEqual([['v1', 1]]);
  });

  it('reads an open case’s row as a cell of one', () => {
    const c = cellOf(row('timeToVerify', at(0), { ms: 90_000 }));
    expect(c).toMatchObject({ count: 1, first: at(0), last: at(0) });
    expect(c.durations?.values).toEqual([90_000]);
    expect(CELL_MS).toBe(3600_000);
  });
});
