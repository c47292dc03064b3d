/**
 * Load generators and the arithmetic of their results, shared by the platform benchmark's steps: a closed loop
 * (N calls in flight, each caller starting its next call as one ends: throughput) and an open loop (calls
 * started at a fixed rate whatever the answers: latency at a given load, a surge).
 */

export interface Summary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** What a step measured: the calls that ended inside its window, by outcome, and their durations. */
export interface LoadResult {
  /** Successful calls that ended inside the measured window. */
  ok: number;
  /** Failed calls that ended inside the window, by gRPC status name (or error name). */
  errors: Record<string, number>;
  /** The measured window, ms (warm-up excluded). */
  windowMs: number;
  /** ok per second of the window. */
  perSecond: number;
  /** Durations of the window's successful calls, ms. */
  latencyMs: Summary;
}

/** The p-quantile (0..1) of sorted values, nearest rank; null when there are none. */
export function quantile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] as number;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
const round2OrNull = (x: number | null) => (x === null ? null : round2(x));

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round2OrNull(quantile(sorted, 0.5)),
    p99: round2OrNull(quantile(sorted, 0.99)),
    max: round2OrNull(sorted.length > 0 ? (sorted[sorted.length - 1] as number) : null),
  };
}

export const errorCount = (errors: Record<string, number>) =>
  Object.values(errors).reduce((sum, n) => sum + n, 0);

/** A name for a failure: the gRPC status name when it is one. */
export type NameError = (error: unknown) => string;

interface Call {
  start: number;
  end: number;
  /** undefined: succeeded. */
  error?: string;
}

/** Every call of a step, with the window that counts. */
class Calls {
  readonly all: Call[] = [];
  ok = 0;
  failed = 0;

  constructor(private readonly nameError: NameError) {}

  async time<T>(call: () => Promise<T>, start = performance.now()): Promise<T | undefined> {
    try {
      const value = await call();
      this.all.push({ start, end: performance.now() });
      this.ok += 1;
      return value;
    } catch (error) {
      this.all.push({ start, end: performance.now(), error: this.nameError(error) });
      this.failed += 1;
      return undefined;
    }
  }

  /** The calls that ended inside [from, to]. */
  result(from: number, to: number): LoadResult {
    const errors: Record<string, number> = {};
    const durations: number[] = [];
    for (const c of this.all) {
      if (c.end < from || c.end > to) continue;
      if (c.error === undefined) durations.push(c.end - c.start);
      else errors[c.error] = (errors[c.error] ?? 0) + 1;
    }
    const windowMs = Math.max(1, to - from);
    return {
      ok: durations.length,
      errors,
      windowMs: Math.round(windowMs),
      perSecond: round2((durations.length / windowMs) * 1000),
      latencyMs: summarise(durations),
    };
  }
}

export interface LoopOptions {
  /** Calls during the warm-up are made but not counted. */
  warmupMs: number;
  durationMs: number;
  nameError: NameError;
  /** Called about every 250 ms with the counts so far (for a progress line). */
  onTick?: (ok: number, failed: number) => void;
}

/** The longest a closed loop waits, beyond its warm-up, for its first `concurrency` calls to end. */
const MAX_FILL_MS = 20_000;
/** The most a closed loop lengthens its window for a platform slower than the window. */
const MAX_EXTRA_MS = 20_000;

/**
 * `concurrency` callers, each making `call(i)` again as soon as its previous one ends. The measured window
 * opens after the warm-up, and not before the first `concurrency` calls have ended (at most 20 s more): a
 * platform slower than the warm-up would otherwise be measured while its queue fills, not at its pace. If
 * that took long, the window lasts at least twice as long (at most 20 s more than asked): a server that
 * works on every call at once answers them in waves a call's latency apart, and a shorter window may fall
 * between two. Calls still running when the window closes are awaited but not counted. `call` returning
 * undefined instead of a promise means no work is left: the window ends there.
 */
export async function closedLoop(
  options: LoopOptions & { concurrency: number },
  call: (i: number) => Promise<unknown> | undefined,
): Promise<LoadResult & { fillMs: number }> {
  const calls = new Calls(options.nameError);
  const t0 = performance.now();
  let from: number | undefined;
  let to = Number.POSITIVE_INFINITY;
  const openWindow = (now: number) => {
    if (from !== undefined || now < t0 + options.warmupMs) return;
    if (calls.ok + calls.failed < options.concurrency && now < t0 + options.warmupMs + MAX_FILL_MS) return;
    from = now;
    const fill = now - t0;
    to = now + Math.max(options.durationMs, Math.min(2 * fill, options.durationMs + MAX_EXTRA_MS));
  };
  let next = 0;
  const timer = setInterval(() => {
    openWindow(performance.now());
    options.onTick?.(calls.ok, calls.failed);
  }, 250);
  const worker = async () => {
    while (performance.now() < to) {
      const start = performance.now();
      const pending = call(next++);
      if (pending === undefined) {
        from ??= start;
        to = Math.min(to, Math.max(from, start));
        return;
      }
      await calls.time(() => pending, start);
      openWindow(performance.now());
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearInterval(timer);
  }
  const windowFrom = from ?? t0;
  return { ...calls.result(windowFrom, to), fillMs: Math.round(windowFrom - t0) };
}

/**
 * Starts `call(i)` `ratePerSecond` times a second, evenly spaced, whatever the answers, through the warm-up
 * and the window; at most `maxInFlight` at once (a start that would exceed it is skipped and counted as the
 * error `SKIPPED_IN_FLIGHT_LIMIT`, so an overloaded platform shows as errors, not as a slower clock). Resolves
 * once every call started has ended; the result counts the calls started inside the window, and its rate is
 * per second of the sending window.
 */
export async function openLoop(
  options: LoopOptions & { ratePerSecond: number; maxInFlight: number },
  call: (i: number) => Promise<unknown>,
): Promise<LoadResult & { started: number }> {
  if (!(options.ratePerSecond > 0))
    throw new Error(`openLoop: rate must be > 0, got ${options.ratePerSecond}`);
  const warmup = new Calls(options.nameError);
  const measured = new Calls(options.nameError);
  const t0 = performance.now();
  const from = t0 + options.warmupMs;
  const to = from + options.durationMs;
  const interval = 1000 / options.ratePerSecond;
  const running = new Set<Promise<unknown>>();
  let skipped = 0;
  let started = 0;
  const timer = setInterval(() => options.onTick?.(measured.ok, measured.failed + skipped), 250);
  try {
    for (let i = 0; ; i++) {
      const due = t0 + i * interval;
      if (due >= to) break;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const inWindow = due >= from;
      if (running.size >= options.maxInFlight) {
        if (inWindow) skipped += 1;
        continue;
      }
      if (inWindow) started += 1;
      const p: Promise<unknown> = (inWindow ? measured : warmup)
        .time(() => call(i))
        .finally(() => running.delete(p));
      running.add(p);
    }
    await Promise.all(running);
  } finally {
    clearInterval(timer);
  }
  const r = measured.result(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  if (skipped > 0) r.errors.SKIPPED_IN_FLIGHT_LIMIT = skipped;
  r.windowMs = Math.round(to - from);
  r.perSecond = round2((r.ok / (to - from)) * 1000);
  return { ...r, started };
}
