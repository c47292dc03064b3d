import { ClosedIds } from '../src/domain/closed-ids';

describe('closed ids (Bloom filter)', () => {
  it('knows every id added, gives few false alarms, and holds a few bytes per id', () => {
    const ids = new ClosedIds(1000);
    const n = 30_000;
    for (let i = 0; i < n; i++) ids.add(`req-${i}`);
    let missed = 0;
    for (let i = 0; i < n; i++) if (!ids.has(`req-${i}`)) missed += 1;
    expect(missed).toBe(0);
    let alarms = 0;
    for (let i = 0; i < n; i++) if (ids.has(`other-${i}`)) alarms += 1;
    // 0.1 % per slice, five slices grown from 1,000 to 16,000.
    expect(alarms / n).toBeLessThan(0.006);
    expect(ids.bytes / n).toBeLessThan(4);
  });

  it('says no for anything before an id was added', () => {
    const ids = new ClosedIds();
    expect(ids.has('r1')).toBe(false);
    ids.add('r1');
    expect(ids.has('r1')).toBe(true);
    expect(ids.has('r2')).toBe(false);
  });

  it('refuses a capacity below one', () => {
    expect(() => new ClosedIds(0)).toThrow(/initialCapacity/);
  });
});
