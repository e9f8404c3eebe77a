import { useEffect, useRef, useState } from 'preact/hooks';
import { DefinitionProblem, ValidationResult } from '@kiln/api-wire';
import { described } from '../forms/field';
import { useSession } from '../session';

const LINT_DELAY_MS = 400;

/**
 * A definition's text with line numbers, linted by the gateway as the user types: each problem
 * is marked on its line and listed with its line and column; choosing one puts the caret there.
 */
export function YamlEditor({
  id,
  value,
  onInput,
  problem,
}: {
  id: string;
  value: string;
  onInput: (value: string) => void;
  problem?: string;
}) {
  const lint = useLint(value);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n').length;
  const bad = new Set((lint?.errors ?? []).map((e) => e.line));

  const goTo = (p: DefinitionProblem) => {
    const el = area.current;
    if (!el) return;
    const offset = offsetOf(value, p.line, p.column);
    el.focus();
    el.setSelectionRange(offset, offset);
  };

  return (
    <div class="yaml-editor">
      <div class="editor-frame">
        <div class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} class={bad.has(i + 1) ? 'gutter-bad' : undefined}>
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          {...described(id, true, problem)}
          ref={area}
          name={id}
          rows={Math.min(30, Math.max(12, lines + 1))}
          spellcheck={false}
          wrap="off"
          value={value}
          onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = (e.target as HTMLTextAreaElement).scrollTop;
          }}
        />
      </div>
      <div id={`${id}-hint`} class="lint" aria-live="polite" data-testid="lint">
        {lint === null && <p class="hint">Checking the definition…</p>}
        {lint?.valid && (
          <p class="lint-ok">
            Valid: {lint.steps?.length ?? 0} step{lint.steps?.length === 1 ? '' : 's'}
            {lint.steps?.length ? ` (${lint.steps.map((s) => s.name).join(' → ')})` : ''}.
          </p>
        )}
        {lint && !lint.valid && (
          <ul class="lint-problems" aria-label="Problems in the definition">
            {lint.errors.map((e, i) => (
              <li key={i}>
                <button type="button" class="link" onClick={() => goTo(e)}>
                  Line {e.line}, column {e.column}
                </button>
                : {e.message}
              </li>
            ))}
          </ul>
        )}
        {(lint?.warnings ?? []).map((w, i) => (
          <p key={`w${i}`} class="notice">
            Line {w.line}: {w.message}
          </p>
        ))}
      </div>
    </div>
  );
}

/** The gateway's lint of `text`, a moment after the last keystroke; null while it is pending. */
function useLint(text: string): ValidationResult | null {
  const { client } = useSession();
  const [result, setResult] = useState<ValidationResult | null>(null);
  useEffect(() => {
    let live = true;
    setResult(null);
    const timer = setTimeout(() => {
      client
        .post<ValidationResult>('/api/pipelines/validate', { yaml_config: text })
        .then((r) => live && setResult(r))
        .catch(
          (e: Error) =>
            live &&
            setResult({ valid: false, errors: [{ path: '', line: 1, column: 1, message: e.message }], warnings: [] }),
        );
    }, LINT_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, text]);
  return result;
}

/** The character offset of a 1-based line and column. */
export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i]!.length + 1;
  const current = lines[line - 1] ?? '';
  return offset + Math.min(Math.max(column - 1, 0), current.length);
}
