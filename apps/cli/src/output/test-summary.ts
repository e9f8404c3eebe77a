import { TestSummary } from '@kiln/api-wire';
import { colors } from './style';

/** `14 tests: 10 passed, 2 failed, 1 errored, 1 skipped`, leaving out the counts that are zero. */
export function formatTestSummary(summary: TestSummary): string {
  const passed = summary.tests - summary.failures - summary.errors - summary.skipped;
  const parts = [
    `${passed} passed`,
    ...(summary.failures ? [colors.red(`${summary.failures} failed`)] : []),
    ...(summary.errors ? [colors.red(`${summary.errors} errored`)] : []),
    ...(summary.skipped ? [`${summary.skipped} skipped`] : []),
  ];
  return `${summary.tests} tests: ${parts.join(', ')}`;
}
