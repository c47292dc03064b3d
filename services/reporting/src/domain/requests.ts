import { isKnownDistrict, isKnownEnumValue } from '@nuanyang/common';
import { type FieldViolation, InvalidArgumentError } from '@nuanyang/grpc-kit';
import type { Duration } from '@nuanyang/proto/google/protobuf/duration';
import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Dimension,
  ExportKind,
  Granularity,
  Metric,
  type ReportFilter,
} from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { type BucketUnit, bucketStarts, DEFAULT_TIME_ZONE, isTimeZone, MAX_BUCKETS } from './buckets';
import type { Filter } from './rows';

/** Reading requests: every bad field is named (INVALID_ARGUMENT lists them all). */
function fail(v: FieldViolation[]): void {
  if (v.length > 0) throw new InvalidArgumentError(v);
}

function filterViolations(f: ReportFilter | undefined, v: FieldViolation[]): Filter {
  const from = f?.from?.getTime();
  const to = f?.to?.getTime();
  if (from !== undefined && Number.isNaN(from))
    v.push({ field: 'filter.from', description: 'is not a valid time' });
  if (to !== undefined && Number.isNaN(to))
    v.push({ field: 'filter.to', description: 'is not a valid time' });
  if (from !== undefined && to !== undefined && to < from)
    v.push({ field: 'filter.to', description: 'must not be before filter.from' });
  (f?.districts ?? []).forEach((d, i) => {
    if (!isKnownDistrict(d))
      v.push({ field: `filter.districts[${i}]`, description: `unknown district "${d}"` });
  });
  const category = f?.category ?? 0;
  if (category !== 0 && !isKnownEnumValue(ItemCategory, category))
    v.push({ field: 'filter.category', description: 'must be a known item category' });
  const organisationId = f?.organisationId ?? '';
  if (organisationId.length > 128)
    v.push({ field: 'filter.organisation_id', description: 'must be at most 128 characters' });
  return { from, to, districts: [...(f?.districts ?? [])], category, organisationId };
}

export function readFilter(f: ReportFilter | undefined): Filter {
  const v: FieldViolation[] = [];
  const filter = filterViolations(f, v);
  fail(v);
  return filter;
}

export function readDimensions(dims: Dimension[]): Dimension[] {
  const v: FieldViolation[] = [];
  if (dims.length === 0) v.push({ field: 'dimensions', description: 'at least one dimension is required' });
  if (dims.length > 3) v.push({ field: 'dimensions', description: 'at most three dimensions' });
  dims.forEach((d, i) => {
    if (!isKnownEnumValue(Dimension, d))
      v.push({ field: `dimensions[${i}]`, description: 'must be a known dimension' });
    else if (dims.indexOf(d) !== i)
      v.push({ field: `dimensions[${i}]`, description: 'repeats an earlier dimension' });
  });
  fail(v);
  return dims;
}

export interface TimeSeriesQuery {
  filter: Filter;
  unit: BucketUnit;
  metrics: Metric[];
  zone: string;
  starts: number[];
}

export function readTimeSeries(
  req: { filter?: ReportFilter; granularity: Granularity; metrics: Metric[]; timeZone: string },
  now: number,
): TimeSeriesQuery {
  const v: FieldViolation[] = [];
  const filter = filterViolations(req.filter, v);
  if (filter.from === undefined) v.push({ field: 'filter.from', description: 'is required' });
  if (!isKnownEnumValue(Granularity, req.granularity))
    v.push({ field: 'granularity', description: 'must be GRANULARITY_HOUR or GRANULARITY_DAY' });
  if (req.metrics.length === 0) v.push({ field: 'metrics', description: 'at least one metric is required' });
  req.metrics.forEach((m, i) => {
    if (!isKnownEnumValue(Metric, m))
      v.push({ field: `metrics[${i}]`, description: 'must be a known metric' });
  });
  const zone = req.timeZone || DEFAULT_TIME_ZONE;
  if (!isTimeZone(zone)) v.push({ field: 'time_zone', description: `unknown IANA time zone "${zone}"` });
  fail(v);
  const to = filter.to ?? now;
  if (to < (filter.from ?? 0))
    fail([{ field: 'filter.from', description: 'must not be after filter.to (now)' }]);
  const unit: BucketUnit = req.granularity === Granularity.GRANULARITY_HOUR ? 'hour' : 'day';
  const starts = bucketStarts(filter.from ?? 0, to, unit, zone);
  if (!starts)
    fail([{ field: 'filter', description: `the range holds more than ${MAX_BUCKETS} ${unit} buckets` }]);
  return { filter: { ...filter, to }, unit, metrics: req.metrics, zone, starts: starts ?? [] };
}

export function readExportKind(kind: ExportKind): ExportKind {
  if (!isKnownEnumValue(ExportKind, kind))
    fail([{ field: 'kind', description: 'must be a known export kind' }]);
  return kind;
}

/** StreamSummary's min_interval in ms: absent or below 1 s means 1 s. */
export function readMinInterval(d: Duration | undefined): number {
  const ms = d ? d.seconds * 1000 + Math.floor(d.nanos / 1e6) : 0;
  return Math.max(1000, ms);
}
