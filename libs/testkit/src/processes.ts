import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TEST_ENV } from './servers';

// Processes started from a test worker. A test file that forgets stop() must not leave them behind when its
// worker exits; the listener is there only while processes run, so files sharing a worker do not pile them up.
const running = new Set<ChildProcess>();
const killRunning = () => {
  for (const child of running) child.kill('SIGKILL');
};

/**
 * Tracks a child process of this worker until it exits, and records it for the global teardown
 * (<dataDir>/pids/<pid>; the process must carry the {@link runMarker} in its environment).
 */
export function track(child: ChildProcess, label: string): void {
  if (running.size === 0) process.on('exit', killRunning);
  running.add(child);
  const dataDir = process.env[TEST_ENV.dataDir];
  const pidFile = dataDir && child.pid ? path.join(dataDir, 'pids', String(child.pid)) : undefined;
  if (pidFile) {
    fs.mkdirSync(path.dirname(pidFile), { recursive: true });
    fs.writeFileSync(pidFile, `${label}\n`);
  }
  const untrack = () => {
    if (running.delete(child) && running.size === 0) process.off('exit', killRunning);
    if (pidFile) fs.rmSync(pidFile, { force: true });
  };
  child.once('exit', untrack);
  child.once('error', untrack);
}

/** The variable that marks a process as this jest run's (checked by the teardown before it kills a pid). */
export function runMarker(): Record<string, string> {
  const dataDir = process.env[TEST_ENV.dataDir];
  return dataDir ? { NUANYANG_TEST_RUN: dataDir } : {};
}

/** Resolves when `child` has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** Sends `signal`, SIGKILLs after `graceMs`, resolves on exit. */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const exited = exitOf(child);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  await exited;
}
