// Jest reporter that ends a run with one plain line, "tests: N passed, N failed, N skipped", which CI reads the way
// it reads other runners' closing lines (jest's own summary has a different shape). Written at exit, so it is last.
import type { AggregatedResult, Reporter } from '@jest/reporters';

export default class SummaryReporter implements Pick<Reporter, 'onRunComplete'> {
  onRunComplete(_contexts: unknown, r: AggregatedResult): void {
    const line = `tests: ${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
