import { Dimension } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { breakdown, labelOf } from '../src/domain/breakdown';
import type { Fact } from '../src/domain/facts';
import { ANY, FACTS, filter, fold } from './fixtures';

/** Every table twice: with every case open, and with each final case closed into the cells at once. */
describe.each([
  ['open cases', Infinity],
  ['closed cases, read from the cells', 0],
])('%s', (_mode, closeAfter) => {
  const of = (facts: Fact[]) => fold(facts, closeAfter);

  describe('breakdown', () => {
    it('groups by district with names, ordered by key', () => {
      const rows = breakdown(of(FACTS), ANY, [Dimension.DIMENSION_DISTRICT]);
      expect(rows.map((r) => r.keys)).toEqual([['beilin'], ['huyi'], ['lianhu'], ['yanta']]);
      expect(rows[1]).toEqual({
        keys: ['huyi'],
        labels: ['鄠邑区'],
        figures: {
          requestsCollected: 1,
          requestsVerified: 1,
          requestsMatched: 1,
          requestsFulfilled: 1,
          peopleHelped: 3,
          suppliesQuantities: [{ amount: 40, unit: 'box' }],
          suppliesValue: { currencyCode: 'CNY', minorUnits: 180_000 },
          deliveries: 1,
          volunteerHours: 1.5,
        },
      });
    });

    it('credits requests to the submitter, supplies to the supplier and hours to the volunteers', () => {
      const rows = breakdown(of(FACTS), filter({ districts: ['huyi'] }), [
        Dimension.DIMENSION_ORGANISATION,
        Dimension.DIMENSION_CATEGORY,
      ]);
      expect(rows.map((r) => [...r.keys, ...r.labels])).toEqual([
        ['org-donor', 'ITEM_CATEGORY_INSTANT_FOOD', 'org-donor', 'ITEM_CATEGORY_INSTANT_FOOD'],
        ['org-hub', 'ITEM_CATEGORY_INSTANT_FOOD', '西安社区枢纽', 'ITEM_CATEGORY_INSTANT_FOOD'],
        ['org-volunteers', 'ITEM_CATEGORY_INSTANT_FOOD', 'org-volunteers', 'ITEM_CATEGORY_INSTANT_FOOD'],
      ]);
      expect(rows[0]?.figures.deliveries).toBe(1);
      expect(rows[1]?.figures.requestsCollected).toBe(1);
      expect(rows[2]?.figures.volunteerHours).toBe(1.5);
    });
  });
});

describe('labels', () => {
  const names = (id: string) => (id === 'org-hub' ? '西安社区枢纽' : undefined);
  it.each([
    ['huyi', Dimension.DIMENSION_DISTRICT, '鄠邑区'],
    ['atlantis', Dimension.DIMENSION_DISTRICT, 'atlantis'],
    ['huyi/龙窝村', Dimension.DIMENSION_COMMUNITY, '鄠邑区 龙窝村'],
    ['org-hub', Dimension.DIMENSION_ORGANISATION, '西安社区枢纽'],
    ['org-x', Dimension.DIMENSION_ORGANISATION, 'org-x'],
    ['ITEM_CATEGORY_MEDICINE', Dimension.DIMENSION_CATEGORY, 'ITEM_CATEGORY_MEDICINE'],
  ])('%s in %s is %s', (key, dim, label) => {
    expect(labelOf(key, dim, names)).toBe(label);
  });
});
