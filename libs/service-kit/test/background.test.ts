import { createLogger } from '@nuanyang/logger';
import { every } from '@nuanyang/service-kit';

const log = createLogger('background-test', 'silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `done()` holds (timers may run late on a busy machine). */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5_000; !done(); await sleep(5)) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
  }
}

describe('every', () => {
  it('runs passes one at a time, goes on after a failure, and stops after the pass in hand', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    let finished = 0;
    const job = every(
      'test sweep',
      5,
      async () => {
        passes += 1;
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(15); // longer than the interval: the next pass must still wait for this one
        active -= 1;
        finished += 1;
        if (passes === 2) throw new Error('a transient failure');
      },
      log,
    );
    const stop = job.start();
    await until(() => passes >= 3); // it went on after the second pass failed
    await stop();
    const atStop = passes;
    await sleep(50);
    expect(maxActive).toBe(1);
    expect(finished).toBe(passes); // stop waited for the pass in hand
    expect(passes).toBe(atStop); // and nothing ran after it
  });

  it('waits one interval before the first pass when asked', async () => {
    let passes = 0;
    const stop = every(
      'later',
      60,
      async () => {
        passes += 1;
      },
      log,
      { startAfterInterval: true },
    ).start();
    await sleep(20);
    expect(passes).toBe(0);
    await until(() => passes === 1);
    await stop();
  });
});
