import { junitSummary } from './junit-summary';

describe('junitSummary', () => {
  it('counts test cases by how they ended, across suites', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest" tests="999">
  <testsuite name="a" tests="3">
    <testcase classname="a" name="passes" time="0.1"/>
    <testcase classname="a" name="fails"><failure message="expected 1 > 2"><![CDATA[at <anonymous> </testcase>]]></failure></testcase>
    <testcase name='skips'><skipped/></testcase>
  </testsuite>
  <!-- <testcase name="commented out"/> -->
  <testsuite name="b">
    <testcase name="errs"><error type="TypeError">boom</error><system-out>log</system-out></testcase>
    <testcase name="both"><failure/><error/></testcase>
  </testsuite>
</testsuites>`;
    expect(junitSummary(xml)).toEqual({ tests: 5, failures: 1, errors: 2, skipped: 1 });
  });

  it('reads a single testsuite root with no cases as an empty report', () => {
    expect(junitSummary('<testsuite name="none" tests="0"></testsuite>')).toEqual({
      tests: 0,
      failures: 0,
      errors: 0,
      skipped: 0,
    });
  });

  it('answers undefined for a file that is not a JUnit report', () => {
    expect(junitSummary('<html><body>coverage</body></html>')).toBeUndefined();
    expect(junitSummary('not xml at all')).toBeUndefined();
  });

  it('never expands entities declared in a DOCTYPE', () => {
    const xml = `<!DOCTYPE lolz [<!ENTITY lol "<testcase/>"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<testsuite><testcase name="&lol2;"/></testsuite>`;
    expect(junitSummary(xml)).toEqual({ tests: 1, failures: 0, errors: 0, skipped: 0 });
  });

  it('stops at an unterminated construct instead of scanning the rest again and again', () => {
    const hostile = '<testsuite>' + '<!--'.repeat(500_000) + '<a b="'.repeat(200_000);
    const began = Date.now();
    expect(junitSummary(hostile)).toEqual({ tests: 0, failures: 0, errors: 0, skipped: 0 });
    expect(Date.now() - began).toBeLessThan(5000);
  });
});
