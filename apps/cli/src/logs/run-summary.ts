import { Run } from '@kiln/api-wire';
import { elapsed, formatDuration, shortSha } from '../output/format';
import { colors, paintStatus, statusIcon } from '../output/style';

/** `#12 web/ci main (abc1234)`: how a run is named in human output. */
export function runTitle(run: Run, projectName: string, pipelineName?: string): string {
  const where = pipelineName ? `${projectName}/${pipelineName}` : projectName;
  return `${colors.bold(`#${run.number}`)} ${where} ${run.git_ref} (${shortSha(run.commit_sha)})`;
}

/** One line per step (status, exit code, duration), then the run's result. */
export function renderRunSummary(run: Run): string {
  const steps = run.steps ?? [];
  const width = Math.max(0, ...steps.map((s) => s.name.length));
  const lines = steps.map((step) => {
    const exit = step.exit_code !== null && step.exit_code !== 0 ? ` exit ${step.exit_code}` : '';
    const duration = step.duration_ms ?? elapsed(step.started_at, step.finished_at);
    const time = duration === null ? '' : ` ${colors.dim(formatDuration(duration))}`;
    const note = step.reused_from ? 'reused from the retried run' : step.error;
    const reason = note ? ` ${colors.dim(`(${note})`)}` : '';
    return `${statusIcon(step.status)} ${step.name.padEnd(width)}  ${paintStatus(step.status)}${exit}${time}${reason}`;
  });
  const took = elapsed(run.started_at ?? run.created_at, run.finished_at);
  const result = `run #${run.number} ${paintStatus(run.status)}${took === null ? '' : ` in ${formatDuration(took)}`}`;
  const error = run.error ? `: ${run.error}` : '';
  return [...lines, `${colors.bold(result)}${error}`].join('\n');
}
