// Tests are compiled by `tsc` with the rest of the project and run from dist/, so the app,
// the local host and the tests share one module graph and one copy of each library.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/dist/test/**/*.test.js'],
  testEnvironment: 'node',
  testTimeout: 120000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/dist/test/support/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/support/global-teardown.js',
  reporters: ['default', '<rootDir>/dist/test/support/summary-reporter.js'],
};
