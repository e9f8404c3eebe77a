import { DefinitionError, DefinitionWarning } from '../definition.model';
import { DEFINITION_LIMITS } from '../limits';
import { LineIndex } from '../yaml/line-index';
import { YamlNode } from '../yaml/yaml-node';

/** Where a problem is: a node of the tree, or a raw character offset. */
export type ProblemLocation = YamlNode | number;

/**
 * Collects every problem of one file so all of them are reported in one pass. Stops storing after
 * `maxProblems` so a hostile file cannot produce an unbounded answer; callers may check `full`
 * to skip expensive work (like spelling suggestions) that nobody will see.
 */
export class ProblemCollector {
  readonly errors: DefinitionError[] = [];
  readonly warnings: DefinitionWarning[] = [];
  private dropped = 0;

  constructor(
    private readonly lines: LineIndex,
    private readonly maxProblems: number = DEFINITION_LIMITS.maxProblems,
  ) {}

  get full(): boolean {
    return this.errors.length >= this.maxProblems;
  }

  get hasErrors(): boolean {
    return this.errors.length > 0;
  }

  error(path: string, at: ProblemLocation, text: string): void {
    if (this.full) {
      this.dropped++;
      return;
    }
    this.errors.push(this.problem(path, at, text));
  }

  warn(path: string, at: ProblemLocation, text: string): void {
    if (this.warnings.length < this.maxProblems) this.warnings.push(this.problem(path, at, text));
  }

  lineOf(at: ProblemLocation): number {
    return this.lines.locate(typeof at === 'number' ? at : at.offset).line;
  }

  /** Errors in source order, plus a last entry counting those that were left out. */
  sortedErrors(): DefinitionError[] {
    const sorted = [...this.errors].sort((a, b) => a.line - b.line || a.column - b.column);
    if (this.dropped > 0) {
      const message = `${this.dropped} more problem${this.dropped === 1 ? '' : 's'} not shown; fix the ones above first`;
      const last = sorted[sorted.length - 1];
      sorted.push({ path: '', line: last.line, column: last.column, message });
    }
    return sorted;
  }

  sortedWarnings(): DefinitionWarning[] {
    return [...this.warnings].sort((a, b) => a.line - b.line || a.column - b.column);
  }

  private problem(path: string, at: ProblemLocation, text: string): DefinitionError {
    const { line, column } = this.lines.locate(typeof at === 'number' ? at : at.offset);
    return { path, line, column, message: path ? `${path}: ${text}` : text };
  }
}

/** Joins YAML path segments: `steps` + 2 -> `steps[2]`, `steps[2]` + `name` -> `steps[2].name`. */
export function childPath(path: string, segment: string | number): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  const key = /^[A-Za-z0-9_-]+$/.test(segment) ? segment : JSON.stringify(segment);
  return path ? `${path}.${key}` : key;
}
