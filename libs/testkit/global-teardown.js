// Jest globalTeardown: stops what global-setup.js started (each server's stop signal, then SIGKILL after 10 s;
// PostgreSQL last, after FerretDB), kills any service process a test left running, and removes the run's data
// directory.

const { killRecorded, removeDir, STATE_KEY } = require('./test-run.js');

function stop(child, signal, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

module.exports = async function globalTeardown() {
  const state = globalThis[STATE_KEY];
  if (!state) return; // this run used servers it was given
  delete globalThis[STATE_KEY];

  const stopOne = (child) => stop(child, state.stopSignals.get(child), 10_000);
  await Promise.all(state.children.filter((child) => child !== state.backing).map(stopOne));
  if (state.backing) await stopOne(state.backing);
  const leaked = killRecorded(state.dataDir);
  if (leaked.length > 0) {
    console.warn(
      `testkit: killed ${leaked.length} service process(es) a test left running: ${leaked.join(' ')}`,
    );
  }
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeListener(s, state.onSignal);
  process.removeListener('exit', state.onExit);
  removeDir(state.dataDir);
  delete process.env.NUANYANG_TEST_MONGO_URL;
  delete process.env.NUANYANG_TEST_NATS_URL;
  delete process.env.NUANYANG_TEST_DATA_DIR;
};
