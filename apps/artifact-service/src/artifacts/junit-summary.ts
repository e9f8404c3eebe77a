import { TestSummary } from '@kiln/db';

/** Reports larger than this are not read (they stay stored as artifacts). */
export const JUNIT_MAX_BYTES = 8 * 1024 * 1024;

/** Constructs skipped whole, each to its terminator: failure output in CDATA often holds `<`. */
const SKIPPED: Array<[string, string]> = [
  ['<!--', '-->'],
  ['<![CDATA[', ']]>'],
  ['<?', '?>'],
  ['<!', '>'],
];
const NAME = /\/?([A-Za-z_][\w.:-]*)/y;

interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
}

/**
 * Counts the `testcase` elements of a JUnit report and how each ended (a `failure`, `error` or
 * `skipped` child), rather than trusting the suites' totals, which tools write inconsistently.
 * Undefined when the text holds no `testsuite` or `testsuites` element: not a JUnit report.
 */
export function junitSummary(xml: string): TestSummary | undefined {
  const summary: TestSummary = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  let isReport = false;
  let testCase: Outcome | 'passed' | undefined;
  for (const { name, closing, selfClosing } of tags(xml)) {
    if (name === 'testsuite' || name === 'testsuites') isReport = true;
    else if (name === 'testcase' && !closing) {
      summary.tests++;
      testCase = 'passed';
    } else if (testCase && !closing && name in OUTCOMES) {
      // One outcome a case: an error outranks a failure, either outranks a skip.
      const outcome = OUTCOMES[name];
      if (testCase === 'passed' || RANK[outcome] > RANK[testCase]) testCase = outcome;
    }
    if (name === 'testcase' && (closing || selfClosing)) {
      if (testCase && testCase !== 'passed') summary[testCase]++;
      testCase = undefined;
    }
  }
  return isReport ? summary : undefined;
}

type Outcome = 'failures' | 'errors' | 'skipped';
const OUTCOMES: Record<string, Outcome> = { failure: 'failures', error: 'errors', skipped: 'skipped' };
const RANK: Record<Outcome, number> = { skipped: 1, failures: 2, errors: 3 };

/**
 * The element tags of an XML text, in one pass: each character is looked at a bounded number of
 * times whatever the input, and entities are never expanded. Text after an unterminated construct
 * is not read.
 */
function* tags(xml: string): Generator<Tag> {
  let at = xml.indexOf('<');
  while (at !== -1) {
    const skipped = SKIPPED.find(([open]) => xml.startsWith(open, at));
    let end: number;
    if (skipped) {
      // A DOCTYPE's internal subset may declare entities: it is skipped with the rest, unread.
      const close = xml.startsWith('<!DOCTYPE', at) && doctypeHasSubset(xml, at) ? ']>' : skipped[1];
      end = xml.indexOf(close, at + skipped[0].length);
      if (end === -1) return;
      end += close.length;
    } else {
      NAME.lastIndex = at + 1;
      const name = NAME.exec(xml);
      end = name ? tagEnd(xml, NAME.lastIndex) : at + 1;
      if (end === -1) return;
      if (name) yield { name: name[1], closing: name[0].startsWith('/'), selfClosing: xml[end - 2] === '/' };
    }
    at = xml.indexOf('<', end);
  }
}

function doctypeHasSubset(xml: string, at: number): boolean {
  const bracket = xml.indexOf('[', at);
  const close = xml.indexOf('>', at);
  return bracket !== -1 && (close === -1 || bracket < close);
}

/** Just past the tag's `>`, stepping over quoted attribute values (which may hold `>`); -1 if none. */
function tagEnd(xml: string, from: number): number {
  for (let i = from; i < xml.length; i++) {
    const char = xml[i];
    if (char === '>') return i + 1;
    if (char === '"' || char === "'") {
      i = xml.indexOf(char, i + 1);
      if (i === -1) return -1;
    }
  }
  return -1;
}
