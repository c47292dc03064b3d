import { closedLoop, errorCount, openLoop, quantile, summarise } from '../load';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nameError = (error: unknown) => (error as Error).message;

describe('quantile and summarise', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it.each([
    [0.5, 50],
    [0.99, 99],
    [1, 100],
    [0, 1],
  ])('nearest rank: p%s of 1..100 is %s', (p, expected) => {
    expect(quantile(hundred, p)).toBe(expected);
  });

  it('has nothing to say about no values', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(summarise([])).toEqual({ count: 0, p50: null, p99: null, max: null });
  });

  it('sorts before it ranks and rounds to hundredths', () => {
    expect(summarise([3.21987, 1.005, 2.5])).toEqual({ count: 3, p50: 2.5, p99: 3.22, max: 3.22 });
  });
});

describe('closedLoop', () => {
  it('keeps exactly `concurrency` calls in flight and names each failure', async () => {
    let inFlight = 0;
    let most = 0;
    const result = await closedLoop(
      { concurrency: 4, warmupMs: 0, durationMs: 300, nameError },
      async (i) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await sleep(5);
        inFlight -= 1;
        if (i % 3 === 0) throw new Error('EVERY_THIRD');
      },
    );
    expect(most).toBe(4);
    expect(Object.keys(result.errors)).toEqual(['EVERY_THIRD']);
    const failed = errorCount(result.errors);
    expect(result.ok).toBeGreaterThan(0);
    expect(failed / (failed + result.ok)).toBeGreaterThan(0.2);
    expect(failed / (failed + result.ok)).toBeLessThan(0.45);
    expect(result.perSecond).toBeCloseTo((result.ok / result.windowMs) * 1000, 0);
  });

  it('ends the window when the work runs out', async () => {
    const started = performance.now();
    const result = await closedLoop({ concurrency: 4, warmupMs: 0, durationMs: 10_000, nameError }, (i) =>
      i < 25 ? sleep(1) : undefined,
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    // The first four calls fill the loop before the window opens.
    expect(result.ok).toBeLessThanOrEqual(21);
    expect(result.ok).toBeGreaterThan(10);
  });

  it('waits for a slow platform to fill before measuring, and measures long enough to see it answer', async () => {
    // Every call takes longer than the window asked for: measured from the start, nothing would end in it.
    const result = await closedLoop({ concurrency: 4, warmupMs: 0, durationMs: 100, nameError }, () =>
      sleep(150),
    );
    expect(result.fillMs).toBeGreaterThanOrEqual(140);
    expect(result.windowMs).toBeGreaterThanOrEqual(2 * result.fillMs - 1);
    expect(result.ok).toBeGreaterThanOrEqual(4);
  });
});

describe('openLoop', () => {
  it('starts calls on the clock, whatever they answer, and counts only those after the warm-up', async () => {
    const result = await openLoop(
      { ratePerSecond: 200, maxInFlight: 1000, warmupMs: 100, durationMs: 250, nameError },
      async () => {
        await sleep(1);
      },
    );
    // 200/s over 250 ms: the schedule has 50 starts in the window, however late the timers fire.
    expect(result.started).toBeGreaterThanOrEqual(49);
    expect(result.started).toBeLessThanOrEqual(51);
    expect(result.ok).toBe(result.started);
    expect(result.windowMs).toBe(250);
  });

  it('skips a start that would exceed the calls in flight, and says so', async () => {
    let inFlight = 0;
    let most = 0;
    const result = await openLoop(
      { ratePerSecond: 200, maxInFlight: 5, warmupMs: 0, durationMs: 200, nameError },
      async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await sleep(100);
        inFlight -= 1;
      },
    );
    expect(most).toBeLessThanOrEqual(5);
    expect(result.errors.SKIPPED_IN_FLIGHT_LIMIT).toBeGreaterThan(0);
    expect(result.ok + (result.errors.SKIPPED_IN_FLIGHT_LIMIT ?? 0)).toBeGreaterThanOrEqual(39);
  });
});
