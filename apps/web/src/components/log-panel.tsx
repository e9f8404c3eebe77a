import { AnsiUp } from 'ansi_up';
import { useEffect, useRef, useState } from 'preact/hooks';
import { followStepLog, LogLine, readTimedLog } from '../api/log-stream';
import { isStepFinished, Step } from '@kiln/api-wire';
import { formatBytes } from '../format';
import { useSession } from '../session';
import { CopyButton } from './copy-button';
import { downloadWithToken } from './download';

/** The page renders at most this much of a log; the rest is one download away. */
export const LOG_DISPLAY_LIMIT = 2 * 1024 * 1024;

type Phase = 'waiting' | 'loading' | 'live' | 'done' | 'error';

interface PanelState {
  phase: Phase;
  lines: number;
  truncated: boolean;
  totalBytes?: number;
  exitCode?: number | null;
  error?: string;
}

/**
 * One step's log with ANSI colours: followed live (SSE) while the step runs, read as text once it
 * finished. Lines are appended to the DOM as they come, and the view keeps to the bottom unless
 * the reader scrolled up.
 */
export function LogPanel({
  projectId,
  runId,
  runNumber,
  step,
}: {
  projectId: string;
  runId: string;
  runNumber: number;
  step: Step;
}) {
  const { client } = useSession();
  const pre = useRef<HTMLPreElement>(null);
  const plain = useRef<string[]>([]);
  const [state, setState] = useState<PanelState>({ phase: 'waiting', lines: 0, truncated: false });
  const started = step.status !== 'pending' && step.status !== 'queued';
  const path = `/api/projects/${projectId}/runs/${runId}/steps/${step.id}/logs`;

  useEffect(() => {
    if (!started) return setState({ phase: 'waiting', lines: 0, truncated: false });
    const view = pre.current;
    if (!view) return;
    view.textContent = '';
    plain.current = [];
    const controller = new AbortController();
    const ansi = new AnsiUp();
    ansi.use_classes = true;
    let bytes = 0;
    let truncated = false;
    const append = (lines: LogLine[]) => {
      if (truncated || !lines.length) return;
      const shown: LogLine[] = [];
      for (const line of lines) {
        bytes += line.text.length + 1;
        if (bytes > LOG_DISPLAY_LIMIT) {
          truncated = true;
          break;
        }
        shown.push(line);
      }
      const atBottom = view.scrollHeight - view.scrollTop - view.clientHeight < 32;
      view.insertAdjacentHTML('beforeend', shown.map((l) => renderLine(ansi, l)).join(''));
      plain.current.push(...shown.map((l) => l.text));
      if (atBottom) view.scrollTop = view.scrollHeight;
      setState((s) => ({ ...s, lines: plain.current.length, truncated }));
    };
    const fail = (error: Error) =>
      !controller.signal.aborted && setState((s) => ({ ...s, phase: 'error', error: error.message }));

    if (isStepFinished(step.status) && !step.started_at) {
      setState({ phase: 'done', lines: 0, truncated: false, exitCode: null });
    } else if (isStepFinished(step.status)) {
      setState({ phase: 'loading', lines: 0, truncated: false });
      readTimedLog(client, path, LOG_DISPLAY_LIMIT, controller.signal)
        .then(({ lines, totalBytes }) => {
          append(lines);
          if (totalBytes > LOG_DISPLAY_LIMIT) truncated = true;
          setState((s) => ({ ...s, phase: 'done', truncated, totalBytes, exitCode: step.exit_code }));
        })
        .catch(fail);
    } else {
      setState({ phase: 'live', lines: 0, truncated: false });
      followStepLog(
        client,
        path,
        {
          lines: append,
          attempt: (n) => append([{ ts: null, stream: 'system', text: `── attempt ${n}: the step runs again ──` }]),
          end: (exitCode) => setState((s) => ({ ...s, phase: 'done', exitCode })),
        },
        controller.signal,
      ).catch(fail);
    }
    return () => controller.abort();
  }, [client, path, started, step.attempt]);

  const filename = `run-${runNumber}-${step.name}.log`;
  return (
    <section class="log-panel" aria-labelledby="log-title">
      <div class="log-head">
        <h2 id="log-title">
          Log: <span class="mono">{step.name}</span>
        </h2>
        <p class="log-status" aria-live="polite">
          {describe(state, step)}
        </p>
        <div class="actions">
          <CopyButton text={() => plain.current.join('\n')} label={`Copy the log of ${step.name}`} />
          <button
            type="button"
            class="secondary small"
            disabled={!started}
            onClick={() =>
              downloadWithToken(client, path, filename, 'text/plain').catch((e: Error) =>
                setState((s) => ({ ...s, error: e.message })),
              )
            }
          >
            Download log
          </button>
        </div>
      </div>
      {step.image_digest && (
        <p class="log-image">
          {step.image ? 'Image' : 'Built and pushed'} <span class="mono">{step.image_digest}</span>
        </p>
      )}
      {state.truncated && (
        <p class="notice" role="status">
          This log is bigger than {formatBytes(LOG_DISPLAY_LIMIT)}
          {state.totalBytes ? ` (${formatBytes(state.totalBytes)})` : ''}: only its beginning is shown. Use
          “Download log” for all of it.
        </p>
      )}
      {state.error && (
        <p class="error" role="alert">
          {state.error}
        </p>
      )}
      <LogSearch view={pre} lines={plain} count={state.lines} />
      <pre ref={pre} class="log" tabIndex={0} aria-label={`Output of ${step.name}`} data-testid="log" />
    </section>
  );
}

/**
 * Each line its own element: CSS numbers the lines and shows their times (from attributes, so
 * neither is part of the text a reader selects or copies), and search marks whole lines.
 */
function renderLine(ansi: AnsiUp, line: LogLine): string {
  const time = timeOf(line.ts);
  if (line.stream === 'system') return `<span class="log-line log-system">${time}${escapeHtml(line.text)}\n</span>`;
  const html = ansi.ansi_to_html(`${line.text}\n`);
  return `<span class="log-line${line.stream === 'stderr' ? ' log-stderr' : ''}">${time}${html}</span>`;
}

/** One formatter for every line (toLocaleTimeString builds one per call: seconds for a big log). */
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const lastClock = { second: NaN, text: '' };

function timeOf(ts: number | null): string {
  if (ts === null) return '<span class="log-time" data-time=""></span>';
  const second = Math.floor(ts / 1000);
  // Lines mostly come many a second: format each second once.
  if (second !== lastClock.second) Object.assign(lastClock, { second, text: escapeHtml(CLOCK.format(ts)) });
  return `<span class="log-time" data-time="${lastClock.text}" title="${new Date(ts).toISOString()}"></span>`;
}

/** Marks the lines holding the text, says how many, and moves between them. */
function LogSearch({
  view,
  lines,
  count,
}: {
  view: { current: HTMLPreElement | null };
  lines: { current: string[] };
  count: number;
}) {
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState<number[]>([]);
  const [at, setAt] = useState(0);

  useEffect(() => {
    const rows = view.current?.children;
    if (!rows) return;
    const needle = query.toLowerCase();
    const found = needle
      ? lines.current.flatMap((l, i) => (l.toLowerCase().includes(needle) ? [i] : []))
      : [];
    for (const i of matches) rows[i]?.classList.remove('log-match', 'log-current');
    for (const i of found) rows[i]?.classList.add('log-match');
    setMatches(found);
    setAt(0);
  }, [query, count]);

  useEffect(() => {
    const row = view.current?.children[matches[at] ?? -1];
    if (!row) return;
    for (const el of view.current!.querySelectorAll('.log-current')) el.classList.remove('log-current');
    row.classList.add('log-current');
    row.scrollIntoView({ block: 'center' });
  }, [matches, at]);

  const step = (by: number) => matches.length && setAt((i) => (i + by + matches.length) % matches.length);
  return (
    <form
      class="log-search"
      role="search"
      aria-label="Log search"
      onSubmit={(e) => {
        e.preventDefault();
        step(1);
      }}
    >
      <label for="log-search-input">Search the log</label>
      <input
        id="log-search-input"
        type="search"
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        spellcheck={false}
      />
      <span aria-live="polite" data-testid="log-matches">
        {query ? (matches.length ? `${at + 1} of ${matches.length} lines` : 'no line matches') : ''}
      </span>
      <button type="button" class="secondary small" disabled={!matches.length} onClick={() => step(-1)}>
        Previous
      </button>
      <button type="submit" class="secondary small" disabled={!matches.length}>
        Next
      </button>
    </form>
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function describe(state: PanelState, step: Step): string {
  if (state.phase === 'waiting') return `Waiting for ${step.name} to start…`;
  if (state.phase === 'loading') return 'Loading the log…';
  if (state.phase === 'live') return `Live: ${state.lines} line(s) so far`;
  if (state.phase === 'error') return 'The log could not be shown.';
  const exit = state.exitCode === null || state.exitCode === undefined ? '' : `, exit code ${state.exitCode}`;
  if (!step.started_at) return `${step.name} never ran (${step.status}).`;
  return `${state.lines} line(s)${exit}`;
}
