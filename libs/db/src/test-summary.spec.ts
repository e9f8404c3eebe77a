import { encodeTestSummary, sumTestSummaries } from './test-summary';

describe('test summaries', () => {
  it('sums the summaries it wrote and leaves out other values', () => {
    const values = [
      encodeTestSummary({ tests: 5, failures: 1, errors: 0, skipped: 2 }),
      null,
      encodeTestSummary({ tests: 3, failures: 0, errors: 1, skipped: 0 }),
      { version: 2, tests: 100, failures: 0, errors: 0, skipped: 0 },
      { version: 1, tests: -1, failures: 0, errors: 0, skipped: 0 },
    ];
    expect(sumTestSummaries(values)).toEqual({ tests: 8, failures: 1, errors: 1, skipped: 2 });
  });

  it('answers null when no row holds a summary', () => {
    expect(sumTestSummaries([null, 'x'])).toBeNull();
    expect(sumTestSummaries([])).toBeNull();
  });
});
