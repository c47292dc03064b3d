import { progressBars, progressLines } from '../src/progress';
import { capture } from './io';

describe('progressLines', () => {
  it('prints one line per stage as it ends, with its count and time', () => {
    const out = capture();
    let now = 1_000;
    const progress = progressLines(out, () => now);
    progress.update('requests', 0, 30);
    now += 1_500;
    progress.update('requests', 29, 30);
    progress.update('requests', 30, 30);
    progress.update('requests', 30, 30);
    progress.update('matches accepted', 0, 0);
    expect(out.text()).toBe('requests          30/30  1.5 s\nmatches accepted  0/0  0.0 s\n');
  });
});

describe('progressBars', () => {
  it('draws a bar per stage on a terminal', () => {
    const out = capture(true);
    const progress = progressBars(out);
    progress.update('organisations', 0, 8);
    progress.update('organisations', 8, 8);
    progress.update('verification', 13, 26);
    progress.stop();
    const text = out.text();
    expect(text).toContain('organisations    ');
    expect(text).toMatch(/organisations\s+\S+ 8\/8/);
    expect(text).toMatch(/verification\s+\S+ 13\/26/);
  });
});
