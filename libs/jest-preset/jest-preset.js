// Shared by every package. swc strips types without type-checking (tsc -b does that), and workspace
// packages resolve to their TypeScript sources so tests never run stale builds of a sibling package.
const path = require('node:path');

const libs = path.resolve(__dirname, '..');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      require.resolve('@swc/jest'),
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: {
    '^@nuanyang/([a-z-]+)$': `${libs}/$1/src/index.ts`,
    '^@nuanyang/proto/(.*)$': `${libs}/proto/src/gen/$1`,
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
};
