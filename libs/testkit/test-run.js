// Bookkeeping of one jest run's processes, shared by global-setup.js and global-teardown.js.
// Every process the run starts (servers here, services in spawnService) is recorded as <dataDir>/pids/<pid>
// and carries NUANYANG_TEST_RUN=<dataDir> in its environment: a process is killed only when both say it is
// this run's, so a recycled pid is never hit.

const fs = require('node:fs');
const path = require('node:path');

const STATE_KEY = Symbol.for('nuanyang.testkit.servers');

function recordPid(dataDir, pid, name) {
  if (!pid) return;
  const dir = path.join(dataDir, 'pids');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, String(pid)), `${name}\n`);
}

function belongsTo(pid, dataDir) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .includes(`NUANYANG_TEST_RUN=${dataDir}`);
  } catch {
    return false; // gone (or no /proc): nothing to kill
  }
}

/** SIGKILLs every recorded process of the run that still runs; returns their pids. */
function killRecorded(dataDir) {
  const killed = [];
  let entries = [];
  try {
    entries = fs.readdirSync(path.join(dataDir, 'pids'));
  } catch {
    return killed;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && belongsTo(pid, dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // already gone
      }
    }
  }
  return killed;
}

function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** Synchronous last-resort clean-up (signal, exit): kill everything of the run, remove its data. */
function cleanupRun(state) {
  for (const child of state.children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  killRecorded(state.dataDir);
  try {
    removeDir(state.dataDir);
  } catch {
    // a server still writing in its last milliseconds; removeStaleRuns gets it next time
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Earlier runs that died without clean-up (SIGKILLed jest): kill what they left running, remove their data. */
function removeStaleRuns(root) {
  const dataRoot = path.join(root, '.data');
  let entries = [];
  try {
    entries = fs.readdirSync(dataRoot);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^test-(\d+)$/.exec(entry);
    if (!match || alive(Number(match[1]))) continue;
    const dir = path.join(dataRoot, entry);
    killRecorded(dir);
    try {
      removeDir(dir);
    } catch {
      // leave it for next time
    }
  }
}

module.exports = { STATE_KEY, recordPid, killRecorded, cleanupRun, removeStaleRuns, removeDir };
