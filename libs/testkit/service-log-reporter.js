// Jest reporter (root jest.config.js, beside 'default'):
// - when a test file fails, prints the output of the service processes it started with spawnService
//   (written to <NUANYANG_TEST_DATA_DIR>/service-logs/<hash of the test path>/ by the workers);
// - at the end, one plain summary line `jest: N passed, N failed[, N skipped]` for tools that read it.

const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const MAX_LINES = 300;

// Keep in step with serviceLogDir() in src/paths.ts.
function serviceLogDir(dataDir, testPath) {
  const key = createHash('sha1').update(testPath).digest('hex').slice(0, 16);
  return path.join(dataDir, 'service-logs', key);
}

class ServiceLogReporter {
  onTestResult(test, result) {
    const dataDir = process.env.NUANYANG_TEST_DATA_DIR;
    const failed = result.numFailingTests > 0 || result.testExecError;
    if (!dataDir || !failed || process.env.DEBUG_SERVICES === '1') return; // DEBUG_SERVICES printed them live
    const dir = serviceLogDir(dataDir, test.path);
    let files = [];
    try {
      files = fs.readdirSync(dir).sort();
    } catch {
      return; // it started no services
    }
    const out = [];
    for (const file of files) {
      const lines = fs.readFileSync(path.join(dir, file), 'utf8').trimEnd().split('\n');
      const shown = lines.slice(-MAX_LINES);
      const cut = lines.length > shown.length ? ` (last ${shown.length} of ${lines.length} lines)` : '';
      out.push(
        `\n── service output ${file.replace(/\.log$/, '')}${cut} ─ ${path.relative(process.cwd(), test.path)}`,
      );
      out.push(shown.join('\n'));
    }
    process.stderr.write(`${out.join('\n')}\n\n`);
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + failedSuites;
    process.stdout.write(
      `jest: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
    );
  }
}

module.exports = ServiceLogReporter;
