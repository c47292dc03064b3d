// The whole suite: every package with a jest.config.js is a project. One FerretDB and one nats-server serve
// all of them (libs/testkit/global-setup.js); a failed test file shows the output of the services it started.
const fs = require('node:fs');
const path = require('node:path');

const candidates = ['libs', 'services'].flatMap((parent) => {
  const dir = path.join(__dirname, parent);
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .sort()
        .map((name) => `${parent}/${name}`)
    : [];
});
candidates.push('cli', 'e2e', 'bench', 'deploy/chart-test');

module.exports = {
  // A global option: jest ignores it in project configs. Integration tests start real processes and servers.
  testTimeout: 60_000,
  projects: candidates
    .filter((dir) => fs.existsSync(path.join(__dirname, dir, 'jest.config.js')))
    .map((dir) => `<rootDir>/${dir}`),
  globalSetup: '<rootDir>/libs/testkit/global-setup.js',
  globalTeardown: '<rootDir>/libs/testkit/global-teardown.js',
  reporters: ['default', '<rootDir>/libs/testkit/service-log-reporter.js'],
  // On a 2-core machine jest runs every file in-band, in its main process: one test that leaks a handle
  // (a connection its afterAll never closed) would keep the run, and CI, waiting forever. Exit after the
  // teardown instead; jest still names the problem ("Force exiting Jest ... --detectOpenHandles").
  forceExit: true,
};
