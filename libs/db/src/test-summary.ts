/** What JUnit reports say about a run's test cases (`artifacts.test_summary`, summed per run). */
export interface TestSummary {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

const TEST_SUMMARY_VERSION = 1;
const COUNTS = ['tests', 'failures', 'errors', 'skipped'] as const;

/** The artifacts row's `test_summary` value; the artifact-service is its only writer. */
export function encodeTestSummary(summary: TestSummary): Record<string, number> {
  return { version: TEST_SUMMARY_VERSION, ...summary };
}

/**
 * The sum of the rows' summaries; null when none holds one. A value of an unknown version or
 * shape is left out rather than guessed at.
 */
export function sumTestSummaries(values: unknown[]): TestSummary | null {
  const summaries = values.filter(isSummary);
  if (summaries.length === 0) return null;
  const total: TestSummary = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const summary of summaries) for (const count of COUNTS) total[count] += summary[count];
  return total;
}

function isSummary(value: unknown): value is TestSummary {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    record.version === TEST_SUMMARY_VERSION &&
    COUNTS.every((count) => Number.isSafeInteger(record[count]) && (record[count] as number) >= 0)
  );
}
