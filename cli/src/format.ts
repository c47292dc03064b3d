import type { Duration } from '@nuanyang/proto/google/protobuf/duration';
import { itemCategoryToJSON, type Money } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { DurationFigure, Summary } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';

/** `ITEM_CATEGORY_INSTANT_FOOD` → `instant food`. */
export function categoryName(category: number): string {
  return itemCategoryToJSON(category)
    .replace(/^ITEM_CATEGORY_/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}

export function money(m: Money | undefined): string {
  const fen = m?.minorUnits ?? 0;
  return `${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function seconds(d: Duration | undefined): number | undefined {
  return d ? d.seconds + d.nanos / 1e9 : undefined;
}

/** 42 s, 12.5 min, 3.2 h, 2.1 d. */
export function humanDuration(s: number | undefined): string {
  if (s === undefined) return '–';
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

/** Rows as aligned columns: the first left-aligned, the others (numbers) right-aligned unless `left`. */
export function table(rows: string[][], indent = '  ', left = 1): string[] {
  const widths: number[] = [];
  for (const row of rows)
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, width(cell));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => pad(cell, widths[i]!, i < left ? 'end' : 'start'))
        .join('   ')
        .trimEnd(),
  );
}

/** Display width: CJK characters take two columns. */
function width(text: string): number {
  let w = 0;
  for (const ch of text)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(
      ch,
    )
      ? 2
      : 1;
  return w;
}

function pad(text: string, to: number, side: 'start' | 'end'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return side === 'start' ? fill + text : text + fill;
}

const n = (v: number | undefined) => (v ?? 0).toLocaleString('en-US');

export interface SummaryScope {
  from?: Date;
  to?: Date;
  districts: string[];
  organisationId?: string;
}

/** The summary as a readable report. */
export function summaryReport(s: Summary, scope: SummaryScope): string {
  const r = s.requests;
  const scopeText = [
    scope.from || scope.to
      ? `${scope.from?.toISOString() ?? 'the start'} to ${scope.to?.toISOString() ?? 'now'}`
      : 'all time',
    scope.districts.length > 0 ? `districts ${scope.districts.join(', ')}` : 'all districts',
    ...(scope.organisationId ? [`organisation ${scope.organisationId}`] : []),
  ].join(' · ');
  const lines = [
    `Nuanyang summary · ${scopeText} · as of ${
      s.asOf
        ? s.asOf
            .toISOString()
            .replace('T', ' ')
            .replace(/\.\d+Z$/, ' UTC')
        : '–'
    }`,
    '',
    'Help requests',
    ...table([
      ['collected', n(r?.collected)],
      ['verified', n(r?.verified)],
      ['rejected', n(r?.rejected)],
      ['duplicates', n(r?.duplicates)],
      ['unreachable', n(r?.unreachable)],
      ['cancelled', n(r?.cancelled)],
      ['matched', n(r?.matched)],
      ['fulfilled', n(r?.fulfilled)],
      ['people helped', n(r?.peopleHelped)],
      ['emergency responses', n(r?.emergencyResponses)],
    ]),
    '',
    'Supplies delivered',
    ...(s.supplies.length === 0
      ? ['  none yet']
      : table([
          ['category', 'quantity', 'value (CNY)', 'deliveries'],
          ...[...s.supplies]
            .sort((a, b) => a.category - b.category)
            .map((c) => [
              categoryName(c.category),
              c.quantities.map((q) => `${n(q.amount)} ${q.unit}`).join(', '),
              money(c.value),
              n(c.deliveries),
            ]),
          ['total', '', money(s.suppliesValue), n(s.supplies.reduce((sum, c) => sum + c.deliveries, 0))],
        ])),
    '',
    'Reach',
    ...table([
      ['districts reached', n(s.districtsReached)],
      ['communities reached', n(s.communitiesReached)],
      ['active volunteers', n(s.activeVolunteers)],
      ['volunteer hours', s.volunteerHours.toFixed(1)],
    ]),
    '',
    'Time taken',
    ...table([
      ['', 'p50', 'p90', 'samples'],
      durationRow('to verify', s.timeToVerify),
      durationRow('to match', s.timeToMatch),
      durationRow('to deliver', s.timeToDeliver),
    ]),
    '',
    'Deadlines missed',
    ...table([
      ['verification breaches', n(s.sla?.verificationBreaches)],
      ['verification overdue now', n(s.sla?.verificationOverdueNow)],
      ['delivery timeouts', n(s.sla?.deliveryTimeouts)],
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

function durationRow(label: string, d: DurationFigure | undefined): string[] {
  return [label, humanDuration(seconds(d?.p50)), humanDuration(seconds(d?.p90)), n(d?.samples)];
}

/**
 * The summary as JSON for scripts: every field present (zeros too, unlike proto3's JSON mapping), categories
 * by name, durations in seconds, money in CNY minor units (fen).
 */
export function summaryJson(s: Summary): unknown {
  const duration = (d: DurationFigure | undefined) => ({
    p50Seconds: seconds(d?.p50) ?? null,
    p90Seconds: seconds(d?.p90) ?? null,
    samples: d?.samples ?? 0,
  });
  return {
    asOf: s.asOf?.toISOString() ?? null,
    requests: s.requests,
    supplies: s.supplies.map((c) => ({ ...c, category: itemCategoryToJSON(c.category) })),
    suppliesValue: s.suppliesValue,
    districtsReached: s.districtsReached,
    communitiesReached: s.communitiesReached,
    activeVolunteers: s.activeVolunteers,
    volunteerHours: s.volunteerHours,
    timeToVerify: duration(s.timeToVerify),
    timeToMatch: duration(s.timeToMatch),
    timeToDeliver: duration(s.timeToDeliver),
    sla: s.sla,
  };
}
