import { Writable } from 'node:stream';
import type { Io } from '../src/context';
import { run } from '../src/program';

/** A stream that keeps what is written to it. */
export function capture(isTTY = false): NodeJS.WritableStream & { isTTY: boolean; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return Object.assign(stream, { isTTY, text: () => text });
}

/** Runs the CLI in this process on the arguments; resolves with its exit code and output. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = { stdout: capture(), stderr: capture() } satisfies Io;
  const code = await run(['node', 'nuanyang', ...args], io);
  return { code, stdout: io.stdout.text(), stderr: io.stderr.text() };
}
