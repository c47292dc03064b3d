import { DateTime, IANAZone } from 'luxon';

export const MAX_BUCKETS = 2000;
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export type BucketUnit = 'hour' | 'day';

export const isTimeZone = (zone: string) => IANAZone.isValidZone(zone);

/**
 * Starts (epoch ms) of the hour or day buckets covering [from, to) in the time zone: the first bucket is
 * the one holding `from`, each next one starts an hour or a local day later (a day is 23 or 25 hours across
 * a daylight-saving change), the last one starts before `to`. Undefined when there would be more than `max`.
 */
export function bucketStarts(
  from: number,
  to: number,
  unit: BucketUnit,
  zone: string,
  max = MAX_BUCKETS,
): number[] | undefined {
  // No hour lasts over 90 min (half-hour daylight-saving shifts) and no day over 25 h: a range that holds more
  // than max buckets even of that length is refused without walking it.
  const longest = unit === 'hour' ? 5400_000 : 25 * 3600_000;
  if (to - from > (max + 1) * longest) return undefined;
  const starts: number[] = [];
  let at = DateTime.fromMillis(from, { zone }).startOf(unit);
  while (at.toMillis() < to) {
    if (starts.length === max) return undefined;
    starts.push(at.toMillis());
    at = unit === 'hour' ? at.plus({ hours: 1 }) : at.plus({ days: 1 }).startOf('day');
  }
  return starts;
}

/** yyyyMMdd of a time in the zone, for file names. */
export const dayStamp = (at: number, zone = DEFAULT_TIME_ZONE) =>
  DateTime.fromMillis(at, { zone }).toFormat('yyyyMMdd');

/** ISO 8601 with the zone's offset, e.g. 2022-01-05T17:51:00+08:00, for CSV cells. */
export const isoIn = (at: number | undefined, zone = DEFAULT_TIME_ZONE) =>
  at === undefined ? '' : (DateTime.fromMillis(at, { zone }).toISO({ suppressMilliseconds: true }) ?? '');
