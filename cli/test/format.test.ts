import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { Summary } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { humanDuration, summaryJson, summaryReport, table } from '../src/format';

const summary: Summary = {
  asOf: new Date('2022-01-05T10:51:00Z'),
  requests: {
    collected: 982,
    verified: 981,
    rejected: 0,
    duplicates: 1,
    unreachable: 0,
    cancelled: 0,
    matched: 958,
    fulfilled: 900,
    peopleHelped: 1082,
    emergencyResponses: 1082,
  },
  supplies: [
    {
      category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
      quantities: [{ amount: 1200, unit: 'box' }],
      value: { currencyCode: 'CNY', minorUnits: 4_200_000 },
      deliveries: 120,
    },
  ],
  suppliesValue: { currencyCode: 'CNY', minorUnits: 4_200_000 },
  districtsReached: 11,
  communitiesReached: 280,
  activeVolunteers: 2000,
  volunteerHours: 12.345,
  timeToVerify: { p50: { seconds: 1140, nanos: 0 }, p90: { seconds: 5400, nanos: 0 }, samples: 981 },
  timeToMatch: { p50: undefined, p90: undefined, samples: 0 },
  timeToDeliver: undefined,
  sla: { verificationBreaches: 3, deliveryTimeouts: 0, verificationOverdueNow: 1 },
};

describe('summaryReport', () => {
  it('prints the figures as aligned tables', () => {
    const text = summaryReport(summary, { districts: ['yanta'] });
    expect(text).toContain('Nuanyang summary · all time · districts yanta · as of 2022-01-05 10:51:00 UTC');
    expect(text).toMatch(/^ {2}collected\s+982$/m);
    expect(text).toMatch(/^ {2}instant food\s+1,200 box\s+42,000.00\s+120$/m);
    expect(text).toMatch(/^ {2}to verify\s+19.0 min\s+1.5 h\s+981$/m);
    expect(text).toMatch(/^ {2}to match\s+–\s+–\s+0$/m);
    expect(text).toMatch(/^ {2}volunteer hours\s+12.3$/m);
  });
});

describe('summaryJson', () => {
  it('keeps zeros, names categories and gives durations in seconds', () => {
    expect(summaryJson(summary)).toMatchObject({
      asOf: '2022-01-05T10:51:00.000Z',
      requests: { collected: 982, rejected: 0 },
      supplies: [{ category: 'ITEM_CATEGORY_INSTANT_FOOD', deliveries: 120 }],
      timeToVerify: { p50Seconds: 1140, p90Seconds: 5400, samples: 981 },
      timeToMatch: { p50Seconds: null, p90Seconds: null, samples: 0 },
      timeToDeliver: { p50Seconds: null, samples: 0 },
    });
  });
});

describe('table and durations', () => {
  it('aligns Chinese text by its display width', () => {
    expect(
      table(
        [
          ['志愿者1号', '1'],
          ['abc', '10'],
        ],
        '',
      ),
    ).toEqual(['志愿者1号    1', 'abc         10']);
  });

  it.each([
    [undefined, '–'],
    [4.25, '4.3 s'],
    [42, '42 s'],
    [750, '12.5 min'],
    [11_520, '3.2 h'],
    [181_440, '2.1 d'],
  ])('%s seconds read %s', (s, text) => expect(humanDuration(s)).toBe(text));
});
