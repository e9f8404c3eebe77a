import { colors } from '../output/style';

export interface PositionedProblem {
  path?: string;
  line?: number;
  column?: number;
  message: string;
}

/**
 * Compiler-style report of definition problems: `file:line:col: message`, then the source line
 * and a caret under the column, so the fix can be made without opening the file.
 */
export function renderProblems(
  file: string,
  source: string,
  problems: PositionedProblem[],
  severity: 'error' | 'warning' = 'error',
): string {
  const lines = source.split(/\r?\n/);
  const gutter = String(Math.max(1, ...problems.map((p) => p.line ?? 0))).length;
  const label = severity === 'error' ? colors.red('error') : colors.yellow('warning');
  return problems
    .map((problem) => {
      const line = problem.line && problem.line > 0 ? problem.line : undefined;
      const column = Math.max(1, problem.column ?? 1);
      const where = line ? `${file}:${line}:${column}` : file;
      const head = `${colors.bold(where)}: ${label}: ${problem.message}`;
      const text = line ? lines[line - 1] : undefined;
      if (text === undefined) return head;
      const shown = text.replace(/\t/g, ' ');
      const caretAt = Math.min(column - 1, shown.length);
      return [
        head,
        `${colors.dim(`${String(line).padStart(gutter)} |`)} ${shown}`,
        `${colors.dim(`${' '.repeat(gutter)} |`)} ${' '.repeat(caretAt)}${colors.red('^')}`,
      ].join('\n');
    })
    .join('\n');
}
