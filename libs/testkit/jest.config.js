// Also starts the suite's servers when jest runs in this folder alone; under the root config the same
// globalSetup file runs once for all projects.
module.exports = {
  preset: '@nuanyang/jest-preset',
  globalSetup: '<rootDir>/global-setup.js',
  globalTeardown: '<rootDir>/global-teardown.js',
};
