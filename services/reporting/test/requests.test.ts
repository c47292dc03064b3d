import { InvalidArgumentError } from '@nuanyang/grpc-kit';
import {
  Dimension,
  Granularity,
  Metric,
  ReportFilter,
} from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { readDimensions, readFilter, readMinInterval, readTimeSeries } from '../src/domain/requests';

/** The fields an INVALID_ARGUMENT names, or [] when the call passes. */
function fieldsOf(call: () => unknown): string[] {
  try {
    call();
    return [];
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    return err.violations.map((v) => v.field);
  }
}

const at = (iso: string) => new Date(iso);

describe('reading requests', () => {
  it.each([
    ['an empty filter', {}, []],
    [
      'a range that ends before it starts',
      { from: at('2022-01-05T00:00:00Z'), to: at('2022-01-04T00:00:00Z') },
      ['filter.to'],
    ],
    ['an unknown district', { districts: ['yanta', 'atlantis'] }, ['filter.districts[1]']],
    ['an unknown category', { category: 42 }, ['filter.category']],
    ['an overlong organisation', { organisationId: 'x'.repeat(129) }, ['filter.organisation_id']],
  ])('filter: %s', (_what, partial, fields) => {
    expect(fieldsOf(() => readFilter(ReportFilter.fromPartial(partial)))).toEqual(fields);
  });

  it('turns a filter into domain terms', () => {
    expect(
      readFilter(ReportFilter.fromPartial({ from: at('2022-01-05T00:00:00Z'), districts: ['huyi'] })),
    ).toEqual({
      from: Date.parse('2022-01-05T00:00:00Z'),
      to: undefined,
      districts: ['huyi'],
      category: 0,
      organisationId: '',
    });
  });

  it.each([
    [[], ['dimensions']],
    [
      [
        Dimension.DIMENSION_DISTRICT,
        Dimension.DIMENSION_CATEGORY,
        Dimension.DIMENSION_COMMUNITY,
        Dimension.DIMENSION_ORGANISATION,
      ],
      ['dimensions'],
    ],
    [[Dimension.DIMENSION_CATEGORY, Dimension.DIMENSION_CATEGORY], ['dimensions[1]']],
    [[Dimension.DIMENSION_UNSPECIFIED], ['dimensions[0]']],
    [[Dimension.DIMENSION_ORGANISATION, Dimension.DIMENSION_DISTRICT, Dimension.DIMENSION_CATEGORY], []],
  ])('dimensions %j', (dims, fields) => {
    expect(fieldsOf(() => readDimensions(dims))).toEqual(fields);
  });

  it('reads a time series request: to defaults to now, the zone to Asia/Shanghai', () => {
    const now = Date.parse('2022-01-05T12:00:00+08:00');
    const q = readTimeSeries(
      {
        filter: ReportFilter.fromPartial({ from: at('2022-01-04T08:00:00+08:00') }),
        granularity: Granularity.GRANULARITY_DAY,
        metrics: [Metric.METRIC_DELIVERIES],
        timeZone: '',
      },
      now,
    );
    expect(q.zone).toBe('Asia/Shanghai');
    expect(q.filter.to).toBe(now);
    expect(q.starts.map((s) => new Date(s).toISOString())).toEqual([
      '2022-01-03T16:00:00.000Z',
      '2022-01-04T16:00:00.000Z',
    ]);
  });

  it('names every bad field of a time series request, and refuses too many buckets', () => {
    const now = Date.parse('2022-01-05T12:00:00Z');
    expect(
      fieldsOf(() => readTimeSeries({ granularity: 0, metrics: [0], timeZone: 'Nowhere/Land' }, now)),
    ).toEqual(['filter.from', 'granularity', 'metrics[0]', 'time_zone']);
    expect(
      fieldsOf(() =>
        readTimeSeries(
          {
            filter: ReportFilter.fromPartial({ from: at('2021-01-01T00:00:00Z') }),
            granularity: Granularity.GRANULARITY_HOUR,
            metrics: [Metric.METRIC_DELIVERIES],
            timeZone: 'UTC',
          },
          now,
        ),
      ),
    ).toEqual(['filter']);
  });

  it.each([
    [undefined, 1000],
    [{ seconds: 0, nanos: 500_000_000 }, 1000],
    [{ seconds: 5, nanos: 250_000_000 }, 5250],
  ])('min_interval %j is %d ms', (d, ms) => {
    expect(readMinInterval(d)).toBe(ms);
  });
});
