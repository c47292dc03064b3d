import { findDistrict } from '@nuanyang/common';
import { itemCategoryToJSON, urgencyToJSON } from '@nuanyang/proto/nuanyang/common/v1/common';
import { Dimension, ExportKind } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { stringify } from 'csv-stringify';
import { breakdown } from './breakdown';
import { isoIn } from './buckets';
import type { CaseView } from './case';
import type { Figures } from './figures';
import { type Filter, matches, matchesOrg, type RequestView, type RowKind } from './rows';

/** A CSV report: columns with their header and HXL hashtag (https://hxlstandard.org), then the rows. */
export interface CsvTable {
  columns: { header: string; hxl: string }[];
  rows: (string | number)[][];
}

const col = (header: string, hxl: string) => ({ header, hxl });
const yuan = (fen: number) => (fen / 100).toFixed(2);
const districtName = (code: string) => findDistrict(code)?.nameZh ?? '';
const quantitiesText = (qs: { amount: number; unit: string }[]) =>
  qs.map((q) => `${q.amount} ${q.unit}`).join('; ');

export const FILE_STEM: Record<number, string> = {
  [ExportKind.EXPORT_KIND_SUMMARY_BY_AREA]: 'summary-by-area',
  [ExportKind.EXPORT_KIND_WHO_WHAT_WHERE]: 'who-what-where',
  [ExportKind.EXPORT_KIND_HELP_REQUESTS]: 'help-requests',
  [ExportKind.EXPORT_KIND_DELIVERIES]: 'deliveries',
};

const REQUEST_PEOPLE = new Set<RowKind>(['collected', 'verified']);

/** One row per district and community with the headline figures. */
function summaryByArea(fig: Figures, f: Filter): CsvTable {
  // People affected (collected) and in need (verified), per community, beside the breakdown's figures.
  const people = new Map<string, { affected: number; inNeed: number }>();
  for (const c of fig.select(f, REQUEST_PEOPLE)) {
    if (!matchesOrg(c.orgs, f)) continue;
    const key = `${c.district}/${c.community}`;
    const p = people.get(key) ?? { affected: 0, inNeed: 0 };
    if (c.kind === 'collected') p.affected += c.people;
    else p.inNeed += c.people;
    people.set(key, p);
  }
  const rows = breakdown(fig, f, [Dimension.DIMENSION_DISTRICT, Dimension.DIMENSION_COMMUNITY]).map((b) => {
    const [district = '', area = ''] = b.keys;
    const x = b.figures;
    const p = people.get(area) ?? { affected: 0, inNeed: 0 };
    return [
      district,
      districtName(district),
      area.slice(district.length + 1),
      x.requestsCollected,
      x.requestsVerified,
      x.requestsMatched,
      x.requestsFulfilled,
      p.affected,
      p.inNeed,
      x.peopleHelped,
      x.deliveries,
      yuan(x.suppliesValue?.minorUnits ?? 0),
      x.volunteerHours,
    ];
  });
  return {
    columns: [
      col('district_code', '#adm2+code'),
      col('district_name', '#adm2+name'),
      col('community', '#adm3+name'),
      col('requests_collected', '#indicator+requests+collected'),
      col('requests_verified', '#indicator+requests+verified'),
      col('requests_matched', '#indicator+requests+matched'),
      col('requests_fulfilled', '#indicator+requests+fulfilled'),
      col('people_affected', '#affected+ind'),
      col('people_in_need', '#inneed+ind'),
      col('people_helped', '#reached+ind'),
      col('deliveries', '#indicator+deliveries'),
      col('supplies_value_cny', '#value+cny'),
      col('volunteer_hours', '#indicator+volunteer_hours'),
    ],
    rows,
  };
}

/** Who does what where: organisation × district × category. */
function whoWhatWhere(fig: Figures, f: Filter): CsvTable {
  const dims = [Dimension.DIMENSION_ORGANISATION, Dimension.DIMENSION_DISTRICT, Dimension.DIMENSION_CATEGORY];
  const rows = breakdown(fig, f, dims).map((b) => {
    const [org = '', district = '', category = ''] = b.keys;
    const x = b.figures;
    return [
      org,
      b.labels[0] === org ? '' : (b.labels[0] ?? ''),
      district,
      districtName(district),
      category,
      x.requestsCollected,
      x.requestsFulfilled,
      x.peopleHelped,
      x.deliveries,
      quantitiesText(x.suppliesQuantities),
      yuan(x.suppliesValue?.minorUnits ?? 0),
      x.volunteerHours,
    ];
  });
  return {
    columns: [
      col('organisation_id', '#org+id'),
      col('organisation_name', '#org+name'),
      col('district_code', '#adm2+code'),
      col('district_name', '#adm2+name'),
      col('category', '#sector'),
      col('requests_collected', '#indicator+requests+collected'),
      col('requests_fulfilled', '#indicator+requests+fulfilled'),
      col('people_helped', '#reached+ind'),
      col('deliveries', '#indicator+deliveries'),
      col('quantities', '#indicator+quantity'),
      col('supplies_value_cny', '#value+cny'),
      col('volunteer_hours', '#indicator+volunteer_hours'),
    ],
    rows,
  };
}

/** Where the request got to, furthest stage first. */
export function statusOf(r: RequestView): string {
  if (r.fulfilledAt !== undefined) return 'fulfilled';
  if (r.cancelledAt !== undefined) return 'cancelled';
  if (r.matchedAt !== undefined) return 'matched';
  if (r.rejectedAt !== undefined) return 'rejected';
  if (r.duplicateAt !== undefined) return 'duplicate';
  if (r.unreachableAt !== undefined) return 'unreachable';
  if (r.verifiedAt !== undefined) return 'verified';
  return 'received';
}

/** One row per help request received in the range (district and community only: no personal data). */
function helpRequests(fig: Figures, cases: CaseView[], f: Filter): CsvTable {
  const rows = cases
    .flatMap((c) => (c.request ? [c.request] : []))
    .filter(
      (r) =>
        r.receivedAt !== undefined && matches({ ...r, at: r.receivedAt, orgs: [r.org, ...r.suppliers] }, f),
    )
    .sort((a, b) => (a.receivedAt ?? 0) - (b.receivedAt ?? 0) || (a.id < b.id ? -1 : 1))
    .map((r) => [
      r.id,
      r.district,
      districtName(r.district),
      r.community,
      r.org,
      fig.orgName(r.org) ?? '',
      r.categories.map((c) => itemCategoryToJSON(c)).join(' '),
      urgencyToJSON(r.urgency),
      r.people,
      statusOf(r),
      isoIn(r.receivedAt),
      isoIn(r.verifiedAt),
      isoIn(r.matchedAt),
      isoIn(r.fulfilledAt),
    ]);
  return {
    columns: [
      col('help_request_id', '#meta+id'),
      col('district_code', '#adm2+code'),
      col('district_name', '#adm2+name'),
      col('community', '#adm3+name'),
      col('organisation_id', '#org+id'),
      col('organisation_name', '#org+name'),
      col('categories', '#sector'),
      col('urgency', '#severity'),
      col('people_affected', '#affected+ind'),
      col('status', '#status'),
      col('received_at', '#date+received'),
      col('verified_at', '#date+verified'),
      col('matched_at', '#date+matched'),
      col('fulfilled_at', '#date+fulfilled'),
    ],
    rows,
  };
}

/** One row per delivery (a fulfilled proposal) and unit. */
function deliveries(fig: Figures, cases: CaseView[], f: Filter): CsvTable {
  const rows = cases
    .flatMap((c) =>
      c.deliveries.filter((x) =>
        matches({ ...x, categories: [x.category], orgs: [x.supplier, c.request?.org ?? ''] }, f),
      ),
    )
    .sort((a, b) => a.at - b.at || (a.proposalId < b.proposalId ? -1 : 1))
    .flatMap((x) =>
      x.perUnit.map((q) => [
        x.proposalId,
        x.requestId,
        isoIn(x.at),
        x.district,
        districtName(x.district),
        x.community,
        x.supplier,
        fig.orgName(x.supplier) ?? '',
        itemCategoryToJSON(x.category),
        x.itemName,
        q.amount,
        q.unit,
        yuan(q.value),
      ]),
    );
  return {
    columns: [
      col('match_proposal_id', '#activity+id'),
      col('help_request_id', '#meta+id'),
      col('delivered_at', '#date+delivered'),
      col('district_code', '#adm2+code'),
      col('district_name', '#adm2+name'),
      col('community', '#adm3+name'),
      col('supplier_organisation_id', '#org+id'),
      col('supplier_organisation_name', '#org+name'),
      col('category', '#sector'),
      col('item', '#item+name'),
      col('quantity', '#indicator+quantity'),
      col('unit', '#indicator+unit'),
      col('value_cny', '#value+cny'),
    ],
    rows,
  };
}

/** Whether the export lists cases one by one (then it needs every case, `cases` below). */
export const listsCases = (kind: ExportKind) =>
  kind === ExportKind.EXPORT_KIND_HELP_REQUESTS || kind === ExportKind.EXPORT_KIND_DELIVERIES;

/** The table of an export; `cases` are every case's views (read for the listing kinds only). */
export function csvTable(kind: ExportKind, fig: Figures, f: Filter, cases: CaseView[] = []): CsvTable {
  switch (kind) {
    case ExportKind.EXPORT_KIND_SUMMARY_BY_AREA:
      return summaryByArea(fig, f);
    case ExportKind.EXPORT_KIND_WHO_WHAT_WHERE:
      return whoWhatWhere(fig, f);
    case ExportKind.EXPORT_KIND_HELP_REQUESTS:
      return helpRequests(fig, cases, f);
    default:
      return deliveries(fig, cases, f);
  }
}

/** Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection). */
const safe = (v: string | number) => (typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

/**
 * The table as UTF-8 CSV (BOM, CRLF) in chunks of `chunkBytes` (the last one shorter; a chunk may end
 * inside a character or a row: only the concatenation is CSV): header row, HXL row (unless omitted), rows.
 */
export async function* csvChunks(table: CsvTable, omitHxl: boolean, chunkBytes = 64 * 1024) {
  const stringifier = stringify({ bom: true, record_delimiter: 'windows' });
  const records = [
    table.columns.map((c) => c.header),
    ...(omitHxl ? [] : [table.columns.map((c) => c.hxl)]),
    ...table.rows.map((r) => r.map(safe)),
  ];
  const writing = (async () => {
    for (const r of records) {
      if (!stringifier.write(r)) await new Promise((resolve) => stringifier.once('drain', resolve));
    }
    stringifier.end();
  })();
  let pending = Buffer.alloc(0);
  for await (const chunk of stringifier as AsyncIterable<Buffer | string>) {
    pending = Buffer.concat([pending, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8')]);
    while (pending.length >= chunkBytes) {
      yield pending.subarray(0, chunkBytes);
      pending = pending.subarray(chunkBytes);
    }
  }
  await writing;
  if (pending.length > 0) yield pending;
}
