import { STAGES, type Stage } from '@nuanyang/scenario';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

export interface Progress {
  update(stage: Stage, done: number, total: number): void;
  stop(): void;
}

const LABEL_WIDTH = Math.max(...STAGES.map((s) => s.length));

/**
 * The demo's progress on a terminal: one bar per stage, each appearing as its stage starts. Like cli-progress
 * itself, it writes to stderr, so that stdout holds only the result (and `--json` stays parseable).
 */
export function progressBars(stream: NodeJS.WritableStream): Progress {
  const multibar = new MultiBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: '{stage} {bar} {value}/{total} {duration_formatted}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      forceRedraw: true,
    },
    Presets.shades_classic,
  );
  const bars = new Map<Stage, SingleBar>();
  return {
    update(stage, done, total) {
      let bar = bars.get(stage);
      if (!bar) {
        bar = multibar.create(total, done, { stage: stage.padEnd(LABEL_WIDTH) });
        bars.set(stage, bar);
      }
      bar.setTotal(total);
      bar.update(done);
      if (done >= total) bar.stop();
    },
    stop: () => multibar.stop(),
  };
}

/** The demo's progress as plain lines (not a terminal: logs, CI, `make start`): one as each stage ends. */
export function progressLines(stream: NodeJS.WritableStream, now = () => Date.now()): Progress {
  const started = new Map<Stage, number>();
  const ended = new Set<Stage>();
  return {
    update(stage, done, total) {
      if (!started.has(stage)) started.set(stage, now());
      if (done < total || ended.has(stage)) return;
      ended.add(stage);
      const seconds = (now() - started.get(stage)!) / 1000;
      stream.write(`${stage.padEnd(LABEL_WIDTH)}  ${done}/${total}  ${seconds.toFixed(1)} s\n`);
    },
    stop() {},
  };
}
