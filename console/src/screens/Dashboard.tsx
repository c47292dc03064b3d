import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { api } from '../api/client';
import { type BreakdownRow, enumKey, PREFIX, type Summary, type TimeSeries } from '../api/types';
import { EChart } from '../components/EChart';
import { ErrorNotice } from '../components/ErrorNotice';
import { useLoad } from '../hooks';
import { useLabels } from '../labels';
import { useLiveSummary } from './useLiveSummary';

const RANGES = {
  day: { hours: 24, granularity: 'GRANULARITY_HOUR' },
  month: { hours: 24 * 30, granularity: 'GRANULARITY_DAY' },
} as const;
type Range = keyof typeof RANGES;
const SERIES = [
  'METRIC_REQUESTS_COLLECTED',
  'METRIC_REQUESTS_VERIFIED',
  'METRIC_REQUESTS_MATCHED',
  'METRIC_REQUESTS_FULFILLED',
];
const COLOURS = ['#e8743b', '#f2b134', '#5b8ff9', '#2e9e6b'];
const FUNNEL = ['collected', 'verified', 'matched', 'fulfilled'] as const;
const BREAKDOWN_FIELD = {
  collected: 'requestsCollected',
  verified: 'requestsVerified',
  matched: 'requestsMatched',
  fulfilled: 'requestsFulfilled',
} as const;

/**
 * The headline figures and four charts. The summary arrives over the SSE stream whenever the figures change;
 * each change also reloads the time series and the district breakdown, so every chart follows live.
 */
export function Dashboard() {
  const l = useLabels();
  const live = useLiveSummary();
  const [range, setRange] = useState<Range>('day');
  const version = live.summary?.asOf ?? '';
  const series = useLoad(() => {
    const { hours, granularity } = RANGES[range];
    return api.get<{ series?: TimeSeries[] }>('/reports/time-series', {
      from: new Date(Date.now() - hours * 3600_000).toISOString(),
      granularity,
      metrics: SERIES,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
  }, [range, version]);
  const districts = useLoad(
    () =>
      api.get<{ rows?: BreakdownRow[] }>('/reports/breakdown', {
        dimensions: ['DIMENSION_DISTRICT'],
        pageSize: 50,
      }),
    [version],
  );

  const r = live.summary?.requests;
  const figures = {
    collected: r?.collected ?? 0,
    verified: r?.verified ?? 0,
    matched: r?.matched ?? 0,
    fulfilled: r?.fulfilled ?? 0,
  };
  const metricLabel = (m: string) => l.t(`dashboard.${enumKey(m, PREFIX.metric).replace('requests_', '')}`);

  const overTime = useMemo<EChartsOption>(() => {
    const all = series.data?.series ?? [];
    return {
      color: COLOURS,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', minInterval: 1 },
      series: all.map((s) => ({
        name: metricLabel(s.metric),
        type: 'line',
        smooth: true,
        showSymbol: false,
        areaStyle: { opacity: 0.08 },
        data: (s.points ?? []).map((p) => [p.bucketStart, p.value ?? 0]),
      })),
    };
  }, [series.data, l.t]);

  const funnel = useMemo<EChartsOption>(
    () => ({
      color: COLOURS,
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          minSize: '12%',
          left: '8%',
          width: '84%',
          label: { show: true, position: 'inside', formatter: '{b}  {c}' },
          data: FUNNEL.map((k) => ({
            name: l.t(`dashboard.${k}`),
            value: figures[k],
          })),
        },
      ],
    }),
    [figures.collected, figures.verified, figures.matched, figures.fulfilled, l.t],
  );

  const byCategory = useMemo<EChartsOption>(() => {
    const supplies = live.summary?.supplies ?? [];
    return {
      color: ['#e8743b'],
      tooltip: { trigger: 'axis' },
      grid: { left: 120, right: 24, top: 16, bottom: 24 },
      xAxis: { type: 'value', name: l.t('dashboard.value') },
      yAxis: { type: 'category', data: supplies.map((s) => l.category(s.category)) },
      series: [
        {
          type: 'bar',
          barMaxWidth: 36,
          name: l.t('dashboard.value'),
          data: supplies.map((s) => Math.round((s.value?.minorUnits ?? 0) / 100)),
        },
      ],
    };
  }, [live.summary, l.t]);

  const byDistrict = useMemo<EChartsOption>(() => {
    const rows = districts.data?.rows ?? [];
    const names = rows.map((row) => l.district(row.keys[0]));
    return {
      color: COLOURS,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 48 },
      xAxis: { type: 'category', data: names, axisLabel: { rotate: 30 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: FUNNEL.map((stage) => ({
        type: 'bar',
        barMaxWidth: 28,
        name: l.t(`dashboard.${stage}`),
        data: rows.map((row) => row.figures?.[BREAKDOWN_FIELD[stage]] ?? 0),
      })),
    };
  }, [districts.data, l.t]);

  return (
    <section className="screen dashboard">
      <div className="toolbar">
        <h2>{l.t('dashboard.title')}</h2>
        <span className={live.connected ? 'live on' : 'live off'} data-testid="live">
          {live.connected ? l.t('dashboard.live') : l.t('dashboard.offline')}
        </span>
        {live.summary?.asOf && <small>{l.t('dashboard.asOf', { time: l.time(live.summary.asOf) })}</small>}
        <select aria-label="range" value={range} onChange={(e) => setRange(e.target.value as Range)}>
          <option value="day">24 h</option>
          <option value="month">30 d</option>
        </select>
      </div>
      <ErrorNotice error={live.error ?? series.error ?? districts.error} />
      <KpiRow summary={live.summary} />
      <div className="charts">
        <figure className="card">
          <figcaption>{l.t('dashboard.overTime')}</figcaption>
          <EChart option={overTime} label={l.t('dashboard.overTime')} />
        </figure>
        <figure className="card">
          <figcaption>{l.t('dashboard.funnel')}</figcaption>
          <EChart option={funnel} label={l.t('dashboard.funnel')} />
        </figure>
        <figure className="card">
          <figcaption>{l.t('dashboard.byCategory')}</figcaption>
          <EChart option={byCategory} label={l.t('dashboard.byCategory')} />
        </figure>
        <figure className="card">
          <figcaption>{l.t('dashboard.byDistrict')}</figcaption>
          <EChart option={byDistrict} label={l.t('dashboard.byDistrict')} />
        </figure>
      </div>
    </section>
  );
}

function KpiRow({ summary }: { summary?: Summary }) {
  const l = useLabels();
  const r = summary?.requests;
  const kpis: [string, number | string][] = [
    ['collected', r?.collected ?? 0],
    ['verified', r?.verified ?? 0],
    ['emergency', r?.emergencyResponses ?? 0],
    ['matched', r?.matched ?? 0],
    ['fulfilled', r?.fulfilled ?? 0],
    ['peopleHelped', r?.peopleHelped ?? 0],
    ['volunteers', summary?.activeVolunteers ?? 0],
    ['districtsReached', summary?.districtsReached ?? 0],
    ['communitiesReached', summary?.communitiesReached ?? 0],
    ['value', ((summary?.suppliesValue?.minorUnits ?? 0) / 100).toLocaleString(l.en ? 'en' : 'zh-CN')],
  ];
  return (
    <div className="kpis">
      {kpis.map(([key, value]) => (
        <div key={key} className="kpi" data-testid={`kpi-${key}`}>
          <span className="value">{value}</span>
          <span className="label">{l.t(`dashboard.${key}`)}</span>
        </div>
      ))}
    </div>
  );
}
