// `make test-unit`: the pure tests and the application classes on the in-memory store, in every package,
// without servers, Go or a browser (no global setup: a test that asks for the suite's servers fails).
// Tests that need servers are named *.int.test.ts; e2e/ and the chart tests are left out.
const path = require('node:path');
const { projects } = require('./jest.config.js');

module.exports = {
  projects: projects
    .map((p) => p.replace('<rootDir>/', ''))
    .filter((dir) => !['e2e', 'deploy/chart-test'].includes(dir))
    .map((dir) => ({
      displayName: dir,
      rootDir: path.join(__dirname, dir),
      preset: '@nuanyang/jest-preset',
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
    })),
};
