// Jest's order with the files known to run longest first: with two workers, a file of many minutes started last
// would run on alone after the rest are done. Jest orders by earlier durations only when its cache has them (not on
// a fresh clone), else by file size, which says little about an end-to-end test's running time.
import type { Test } from '@jest/test-result';
import TestSequencer from '@jest/test-sequencer';

/** Slowest first: a year of daily backups and retention runs through the local host takes minutes. */
const LONGEST = ['retention-year.test.js'];

export default class LongestFirst extends TestSequencer {
  override async sort(tests: Array<Test>): Promise<Array<Test>> {
    const sorted = await super.sort(tests);
    const rank = (t: Test): number => {
      const i = LONGEST.findIndex((name) => t.path.endsWith(name));
      return i < 0 ? LONGEST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
