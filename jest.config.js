// Tests are compiled by `tsc` with the rest of the project and run from dist/, so the app,
// the local host and the tests share one module graph and one copy of each library.
/**
 * Files that run in a jest process of their own after the rest (`npm test` does both): hundreds of MiB through the
 * host, whose memory they measure, are measured best with nothing else running. Set M365V_TEST_ISOLATED=1 to run them.
 */
const ISOLATED = ['<rootDir>/dist/test/e2e/large-transfers.test.js'];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testMatch: process.env.M365V_TEST_ISOLATED ? ISOLATED : ['<rootDir>/dist/test/**/*.test.js'],
  testPathIgnorePatterns: process.env.M365V_TEST_ISOLATED ? ['/node_modules/'] : ['/node_modules/', ...ISOLATED],
  testEnvironment: 'node',
  testTimeout: 120000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/dist/test/support/global-setup.js',
  testSequencer: '<rootDir>/dist/test/support/sequencer.js',
  globalTeardown: '<rootDir>/dist/test/support/global-teardown.js',
  reporters: ['default', '<rootDir>/dist/test/support/summary-reporter.js'],
};
