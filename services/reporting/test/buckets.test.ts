import { bucketStarts, dayStamp, isoIn, isTimeZone } from '../src/domain/buckets';

const at = (iso: string) => Date.parse(iso);

describe('bucket starts', () => {
  it('starts day buckets at midnight in Asia/Shanghai', () => {
    const starts = bucketStarts(
      at('2022-01-05T17:51:00+08:00'),
      at('2022-01-07T01:00:00+08:00'),
      'day',
      'Asia/Shanghai',
    );
    expect(starts?.map((s) => new Date(s).toISOString())).toEqual([
      '2022-01-04T16:00:00.000Z',
      '2022-01-05T16:00:00.000Z',
      '2022-01-06T16:00:00.000Z',
    ]);
  });

  it('starts the same instants at other midnights in another zone', () => {
    const starts = bucketStarts(at('2022-01-05T17:51:00+08:00'), at('2022-01-06T12:00:00Z'), 'day', 'UTC');
    expect(starts?.map((s) => new Date(s).toISOString())).toEqual([
      '2022-01-05T00:00:00.000Z',
      '2022-01-06T00:00:00.000Z',
    ]);
  });

  it('has a 23-hour day where daylight saving starts (America/New_York, 13 March 2022)', () => {
    const starts =
      bucketStarts(
        at('2022-03-12T12:00:00-05:00'),
        at('2022-03-14T12:00:00-04:00'),
        'day',
        'America/New_York',
      ) ?? [];
    expect(starts.map((s) => new Date(s).toISOString())).toEqual([
      '2022-03-12T05:00:00.000Z',
      '2022-03-13T05:00:00.000Z',
      '2022-03-14T04:00:00.000Z',
    ]);
    expect(((starts[2] ?? 0) - (starts[1] ?? 0)) / 3600_000).toBe(23);
  });

  it('starts hour buckets on the zone’s hour, half-hour zones included', () => {
    const starts = bucketStarts(
      at('2022-01-05T10:10:00Z'),
      at('2022-01-05T12:00:00Z'),
      'hour',
      'Asia/Kolkata',
    );
    expect(starts?.map((s) => new Date(s).toISOString())).toEqual([
      '2022-01-05T09:30:00.000Z',
      '2022-01-05T10:30:00.000Z',
      '2022-01-05T11:30:00.000Z',
    ]);
  });

  it('gives no buckets for an empty range and refuses more than the maximum', () => {
    const t = at('2022-01-05T00:00:00Z');
    expect(bucketStarts(t, t, 'hour', 'UTC')).toEqual([]);
    expect(bucketStarts(t, t + 2000 * 3600_000, 'hour', 'UTC')).toHaveLength(2000);
    expect(bucketStarts(t, t + 2001 * 3600_000, 'hour', 'UTC')).toBeUndefined();
  });

  it('knows IANA zones and formats file stamps and cells in Beijing time', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(dayStamp(at('2022-01-05T17:00:00Z'))).toBe('20220106');
    expect(isoIn(at('2022-01-05T09:51:00Z'))).toBe('2022-01-05T17:51:00+08:00');
    expect(isoIn(undefined)).toBe('');
  });
});
