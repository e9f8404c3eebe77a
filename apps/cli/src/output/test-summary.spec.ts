import { stripVTControlCharacters } from 'node:util';
import { formatTestSummary } from './test-summary';

describe('formatTestSummary', () => {
  it('says how many passed and leaves out the counts that are zero', () => {
    const line = formatTestSummary({ tests: 14, failures: 2, errors: 0, skipped: 1 });
    expect(stripVTControlCharacters(line)).toBe('14 tests: 11 passed, 2 failed, 1 skipped');
  });

  it('names errors apart from failures', () => {
    const line = formatTestSummary({ tests: 3, failures: 0, errors: 3, skipped: 0 });
    expect(stripVTControlCharacters(line)).toBe('3 tests: 0 passed, 3 errored');
  });
});
