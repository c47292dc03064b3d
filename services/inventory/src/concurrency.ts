/**
 * Runs tasks that share a key one after another within this process; other keys run in parallel.
 *
 * Correctness does not depend on it: two replicas still race for each lot version and the stream's
 * expected-sequence check lets one win. It only keeps a burst of calls on one lot in one process from
 * racing each other, which would otherwise cost every loser a wasted read and write per version (and, in a
 * burst of hundreds, enough lost races to give up).
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/**
 * At most `limit` tasks at once; the rest wait their turn in arrival order. A burst of hundreds of calls on
 * a few lots would otherwise mostly lose races for the same lot versions, each loser costing a read and a
 * publish per attempt.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
