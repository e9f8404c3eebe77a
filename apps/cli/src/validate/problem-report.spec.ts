import { stripVTControlCharacters } from 'node:util';
import { renderProblems as renderColoured } from './problem-report';

// Colours follow the terminal (and CI=true turns them on); the text is what is checked here.
const renderProblems = (...args: Parameters<typeof renderColoured>) => stripVTControlCharacters(renderColoured(...args));

describe('definition problem report', () => {
  it('names file, line and column, then shows the line with a caret under the column', async () => {
    // The CLI loads the parser lazily (start-up time); so does this test.
    const { parseDefinition } = await import('@kiln/definition');
    const source =
      'pipeline:\n  steps:\n    - name: test\n      image: node\n      commands: [echo]\n      depends_on: [nope]\n';
    const result = parseDefinition(source);
    if (result.ok) throw new Error('expected problems');
    const report = renderProblems('.platform.yaml', source, result.errors).split('\n');
    expect(report).toEqual([
      '.platform.yaml:6:20: error: steps[0].depends_on: unknown step "nope"',
      '6 |       depends_on: [nope]',
      '  |                    ^',
    ]);
  });

  it('keeps the caret under the column when tabs are in the line', () => {
    const report = renderProblems('f.yaml', 'a:\n\tb: x\n', [{ line: 2, column: 2, message: 'bad' }]);
    expect(report.split('\n').slice(1)).toEqual(['2 |  b: x', '  |  ^']);
  });

  it('prints just the message for a problem without a line', () => {
    expect(renderProblems('f.yaml', '', [{ message: 'the file is empty' }])).toBe(
      'f.yaml: error: the file is empty',
    );
  });
});
