import { KeyedSerial, Limiter } from '../src/concurrency';

const tick = () => new Promise((r) => setTimeout(r, 1));

/** A task that records when it starts and ends, and how many ran at once. */
function recorder() {
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  const task =
    (name: string, fail = false) =>
    async () => {
      running += 1;
      peak = Math.max(peak, running);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running -= 1;
      if (fail) throw new Error(name);
      return name;
    };
  return { log, task, peak: () => peak };
}

describe('KeyedSerial', () => {
  it('runs tasks of one key one after another, in call order, even when one fails', async () => {
    const serial = new KeyedSerial();
    const r = recorder();
    const results = await Promise.allSettled([
      serial.run('lot-1', r.task('a')),
      serial.run('lot-1', r.task('b', true)),
      serial.run('lot-1', r.task('c')),
    ]);
    expect(r.log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('runs tasks of different keys side by side', async () => {
    const serial = new KeyedSerial();
    const r = recorder();
    await Promise.all([serial.run('lot-1', r.task('a')), serial.run('lot-2', r.task('b'))]);
    expect(r.peak()).toBe(2);
  });
});

describe('Limiter', () => {
  it.each([1, 3, 8])('never runs more than %i at once, and runs them all', async (limit) => {
    const limiter = new Limiter(limit);
    const r = recorder();
    const names = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const results = await Promise.allSettled(names.map((n, i) => limiter.run(r.task(n, i % 5 === 0))));
    expect(r.peak()).toBe(limit);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(16);
    expect(r.log.filter((l) => l.startsWith('start')).map((l) => l.slice(6))).toEqual(names);
  });
});
