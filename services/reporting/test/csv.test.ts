import { ExportKind } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { csvChunks, csvTable } from '../src/domain/csv';
import type { Fact } from '../src/domain/facts';
import { ANY } from '../src/domain/rows';
import { fold } from './fixtures';

const T0 = Date.parse('2022-01-05T17:51:00+08:00');
const FACTS = [
  {
    id: 'e1',
    at: T0,
    kind: 'received',
    requestId: 'r1',
    org: 'org-hub',
    district: 'huyi',
    community: '龙窝村',
    urgency: 4,
    people: 2,
    categories: [2],
  },
  {
    id: 'e2',
    at: T0 + 60_000,
    kind: 'verified',
    requestId: 'r1',
    taskId: 't1',
    org: 'org-hub',
    district: 'huyi',
    community: '龙窝村',
    urgency: 4,
    people: 3,
    categories: [2],
  },
  {
    id: 'e3',
    at: T0 + 3600_000,
    kind: 'fulfilled',
    proposalId: 'p1',
    requestId: 'r1',
    supplier: 'org-donor',
    category: 2,
    itemName: '方便面, 桶装',
    district: 'huyi',
    community: '龙窝村',
    lines: [{ quantity: 40, unit: 'box', unitValue: 4550 }],
  },
  { id: 'e4', at: T0, kind: 'organisation', orgId: 'org-donor', name: '=HYPERLINK("x")' },
] as Fact[];

async function csvOf(
  kind: ExportKind,
  omitHxl = false,
  chunkBytes?: number,
): Promise<{ text: string; chunks: number }> {
  const parts: Buffer[] = [];
  const figures = fold(FACTS);
  const table = csvTable(kind, figures, ANY, [...figures.openViews()]);
  for await (const c of csvChunks(table, omitHxl, chunkBytes)) parts.push(c);
  return { text: Buffer.concat(parts).toString('utf8'), chunks: parts.length };
}

describe('CSV exports', () => {
  // People affected as verified (3, corrected from the 2 received), like every other figure of the request.
  it('starts with a BOM, ends lines with CRLF, and has a header and an HXL row', async () => {
    const { text } = await csvOf(ExportKind.EXPORT_KIND_SUMMARY_BY_AREA);
    expect(text.startsWith('\uFEFF')).toBe(true);
    const lines = text.slice(1).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(text.slice(1).replace(/\r\n/g, '')).not.toContain('\n');
    expect(lines[0]?.split(',').slice(0, 3)).toEqual(['district_code', 'district_name', 'community']);
    expect(lines[1]?.split(',').slice(0, 3)).toEqual(['#adm2+code', '#adm2+name', '#adm3+name']);
    expect(lines[1]).toContain('#affected+ind');
    expect(lines[1]).toContain('#inneed+ind');
    expect(lines[1]).toContain('#reached+ind');
    expect(lines[1]).toContain('#value+cny');
    expect(lines[2]).toBe('huyi,鄠邑区,龙窝村,1,1,0,0,3,3,0,1,1820.00,0');
  });

  it('leaves the HXL row out when asked', async () => {
    const { text } = await csvOf(ExportKind.EXPORT_KIND_WHO_WHAT_WHERE, true);
    const lines = text.slice(1).split('\r\n');
    expect(lines[0]?.startsWith('organisation_id,organisation_name,district_code')).toBe(true);
    expect(lines[1]?.startsWith('org-donor,')).toBe(true);
  });

  it('quotes commas and defuses formulas', async () => {
    const { text } = await csvOf(ExportKind.EXPORT_KIND_DELIVERIES);
    const lines = text.slice(1).split('\r\n');
    expect(lines[1]).toContain('#sector');
    expect(lines[2]).toBe(
      `p1,r1,2022-01-05T18:51:00+08:00,huyi,鄠邑区,龙窝村,org-donor,"'=HYPERLINK(""x"")",ITEM_CATEGORY_INSTANT_FOOD,"方便面, 桶装",40,box,1820.00`,
    );
  });

  it('lists help requests without personal data', async () => {
    const { text } = await csvOf(ExportKind.EXPORT_KIND_HELP_REQUESTS);
    const lines = text.slice(1).split('\r\n');
    expect(lines[2]).toBe(
      'r1,huyi,鄠邑区,龙窝村,org-hub,,ITEM_CATEGORY_INSTANT_FOOD,URGENCY_CRITICAL,3,verified,2022-01-05T17:51:00+08:00,2022-01-05T17:52:00+08:00,,',
    );
  });

  it('comes in several chunks when asked for small ones, the same bytes concatenated', async () => {
    const whole = await csvOf(ExportKind.EXPORT_KIND_HELP_REQUESTS);
    const small = await csvOf(ExportKind.EXPORT_KIND_HELP_REQUESTS, false, 16);
    expect(small.chunks).toBeGreaterThan(3);
    expect(small.text).toBe(whole.text);
  });
});
