// Jest globalSetup (root jest.config.js): ONE PostgreSQL cluster with FerretDB on it, and ONE nats-server, for
// the whole suite, on free loopback ports, data in a fresh .data/test-<pid> (the cluster made by initdb each
// run, without fsync); their URLs go to the workers through process.env (NUANYANG_TEST_MONGO_URL,
// NUANYANG_TEST_NATS_URL, NUANYANG_TEST_DATA_DIR). A URL already set is used as given and that server (and for
// MongoDB, PostgreSQL) is not started. Plain CommonJS: globalSetup runs outside the swc transform.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { servers, waitReady } = require('../../deploy/local/servers.js');
const { cleanupRun, killRecorded, recordPid, removeStaleRuns, STATE_KEY } = require('./test-run.js');

const root = path.resolve(__dirname, '../..');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts one server on a free port and resolves with its definition once it accepts connections; retries a
 * lost port race.
 */
async function startServer(define, options, dataDir, state) {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const server = define({ ...options, port, dataDir: path.join(dataDir, define.name) });
    const logFile = path.join(dataDir, `${server.name}.log`);
    const log = fs.openSync(logFile, 'a');
    const child = spawn(server.command, server.args, {
      env: { ...server.env, NUANYANG_TEST_RUN: dataDir },
      stdio: ['ignore', log, log],
      detached: false,
    });
    fs.closeSync(log);
    state.children.push(child);
    state.stopSignals.set(child, server.stopSignal ?? 'SIGTERM');
    recordPid(dataDir, child.pid, server.name);
    const gone = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    const outcome = await waitReady(server, { timeoutMs: 60_000, gone }).then(
      () => 'ready',
      (error) => error.message,
    );
    if (outcome === 'ready') return { server, child };
    if (child.exitCode === null) child.kill('SIGKILL');
    if (attempt >= 3)
      throw new Error(`${server.name} did not start (${outcome}); ${logFile}:\n${tail(logFile)}`);
  }
}

/** PostgreSQL, then FerretDB on it; resolves with FerretDB's URL. */
async function startMongo(dataDir, state) {
  const postgres = await startServer(servers.postgres, { durable: false }, dataDir, state);
  // Teardown stops it last, once FerretDB has let go of it.
  state.backing = postgres.child;
  const ferretdb = await startServer(
    servers.ferretdb,
    { postgresUrl: postgres.server.url, logLevel: 'info' },
    dataDir,
    state,
  );
  return ferretdb.server.url;
}

module.exports = async function globalSetup() {
  const env = process.env;
  if (env.NUANYANG_TEST_MONGO_URL && env.NUANYANG_TEST_NATS_URL) return; // given, or this run already has them

  removeStaleRuns(root);
  const dataDir = path.join(root, '.data', `test-${process.pid}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });

  const state = { dataDir, children: [], stopSignals: new Map() };
  globalThis[STATE_KEY] = state;

  // Jest interrupted (Ctrl-C, a CI time-out) or exiting without teardown: leave no server behind.
  const onSignal = (signal) => {
    cleanupRun(state);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
  };
  state.onSignal = onSignal;
  state.onExit = () => cleanupRun(state);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, onSignal);
  process.on('exit', state.onExit);

  try {
    // Side by side; settled both before any clean-up, so nothing starts after it.
    const [mongo, nats] = await Promise.allSettled([
      env.NUANYANG_TEST_MONGO_URL ?? startMongo(dataDir, state),
      env.NUANYANG_TEST_NATS_URL ??
        startServer(servers.nats, {}, dataDir, state).then(({ server }) => server.url),
    ]);
    for (const result of [mongo, nats]) if (result.status === 'rejected') throw result.reason;
    env.NUANYANG_TEST_MONGO_URL = mongo.value;
    env.NUANYANG_TEST_NATS_URL = nats.value;
  } catch (error) {
    killRecorded(dataDir);
    cleanupRun(state);
    throw error;
  }
  env.NUANYANG_TEST_DATA_DIR = dataDir;
};
