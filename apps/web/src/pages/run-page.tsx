import { useState } from 'preact/hooks';
import { Artifact, isTerminal, Page, Pipeline, Project, Run, Step } from '@kiln/api-wire';
import { ArtifactsPanel } from '../components/artifacts-panel';
import { CopyButton } from '../components/copy-button';
import { LoadState } from '../components/load-state';
import { LogPanel } from '../components/log-panel';
import { StatusBadge } from '../components/status-badge';
import { StepGraph } from '../components/step-graph';
import { elapsed, formatDuration, pullRequestLabel, shortSha } from '../format';
import { useNow, usePoll, useTitle } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';
import { ApprovalsPanel } from './approvals-panel';
import { RerunStep, RunActions } from './run-actions';

export function RunPage({ projectId, runId }: { projectId: string; runId: string }) {
  const { client } = useSession();
  const now = useNow(1000);
  const base = `/api/projects/${projectId}`;
  const project = usePoll(
    () => client.get<Project>(base),
    [client, projectId],
    () => null,
  );
  const run = usePoll(
    () => client.get<Run>(`${base}/runs/${runId}`),
    [client, runId],
    (r) => (r && isTerminal(r.status) ? 15_000 : 1000),
  );
  const pipelineId = run.data?.pipeline_id;
  const pipeline = usePoll(
    () => (pipelineId ? client.get<Pipeline>(`${base}/pipelines/${pipelineId}`) : Promise.resolve(undefined)),
    [client, pipelineId],
    () => null,
  );
  // Steps store their artifacts before they finish: the list read once the run ended (the status
  // is a dependency, so it is read again then) is the whole list.
  const runEnded = run.data ? isTerminal(run.data.status) : false;
  const artifacts = usePoll(
    () => client.get<Page<Artifact>>(`${base}/runs/${runId}/artifacts`),
    [client, runId, runEnded],
    () => (runEnded ? null : 3000),
  );
  const [chosen, setChosen] = useState<string | null>(null);

  const r = run.data;
  useTitle(r ? `Run #${r.number} ${r.status}` : 'Run');
  if (!r) return <LoadState error={run.error} loading what="the run" />;
  const steps = r.steps ?? [];
  const followed = chosen ?? followStep(steps);
  const step = steps.find((s) => s.id === followed);
  const projectName = project.data?.name ?? 'Project';

  return (
    <section aria-labelledby="run-title" class="run-page">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/">Projects</a> <span aria-hidden="true">/</span>{' '}
        <a href={href({ page: 'runs', projectId, filters: {} })}>{projectName}</a>{' '}
        <span aria-hidden="true">/</span> Run #{r.number}
      </nav>
      <div class="page-head">
        <h1 id="run-title">
          Run #{r.number} <span class="muted">{pipeline.data?.name ?? ''}</span>
        </h1>
        <span aria-live="polite" data-testid="run-status">
          <StatusBadge status={r.status} />
        </span>
        <RunActions run={r} projectId={projectId} />
      </div>
      <dl class="facts">
        <div>
          <dt>Ref</dt>
          <dd class="mono">{r.git_ref}</dd>
        </div>
        <div>
          <dt>Commit</dt>
          <dd class="mono">
            {shortSha(r.commit_sha)}{' '}
            {r.commit_sha && <CopyButton text={() => r.commit_sha ?? ''} label="Copy the commit SHA" />}
            {r.commit_message && (
              <span class="commit-message" data-testid="commit-message" title={r.commit_message}>
                {r.commit_message.split('\n')[0]}
              </span>
            )}
          </dd>
        </div>
        {r.commit_author && (
          <div>
            <dt>Author</dt>
            <dd data-testid="commit-author">{r.commit_author}</dd>
          </div>
        )}
        {r.pull_request_url && (
          <div>
            <dt>Pull request</dt>
            <dd>
              <a href={r.pull_request_url} rel="noreferrer noopener" target="_blank" data-testid="pull-request-link">
                {pullRequestLabel(r.pull_request_url)}
              </a>
            </dd>
          </div>
        )}
        <div>
          <dt>Trigger</dt>
          <dd>
            {r.trigger} by {r.triggered_by}
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(elapsed(r.started_at, r.finished_at, now))}</dd>
        </div>
        {r.retry_of && (
          <div>
            <dt>Retry of</dt>
            <dd>
              <a href={href({ page: 'run', projectId, runId: r.retry_of })}>an earlier run</a>
            </dd>
          </div>
        )}
      </dl>
      <ApprovalsPanel run={r} projectId={projectId} role={project.data?.role} onDecided={run.reload} />
      {r.error && (
        <p class="error" role="status">
          {r.error}
        </p>
      )}
      <h2 class="visually-hidden">Steps</h2>
      {steps.length === 0 && (
        <p class="empty">
          {isTerminal(r.status)
            ? 'No step ran: the run ended before its steps were planned.'
            : 'Reading the definition and planning the steps…'}
        </p>
      )}
      <StepGraph steps={steps} selected={followed} now={now} onSelect={setChosen} />
      {chosen && !isTerminal(r.status) && (
        <p class="hint">
          Showing the step you picked.{' '}
          <button type="button" class="link" onClick={() => setChosen(null)}>
            Follow the running step again
          </button>
        </p>
      )}
      {step && <RerunStep key={`rerun-${step.id}`} run={r} step={step} projectId={projectId} role={project.data?.role} />}
      {step && <LogPanel key={step.id} projectId={projectId} runId={r.id} runNumber={r.number} step={step} />}
      <ArtifactsPanel
        artifacts={artifacts.data?.items}
        projectId={projectId}
        runId={r.id}
        runEnded={isTerminal(r.status)}
      />
    </section>
  );
}

/** The step whose log to show unprompted: the running one, else the first failure, else the last that ran. */
export function followStep(steps: Step[]): string | null {
  const running = steps.find((s) => s.status === 'running');
  if (running) return running.id;
  const failed = steps.find((s) => s.status === 'failed');
  if (failed) return failed.id;
  const ran = steps.filter((s) => s.started_at);
  return (ran[ran.length - 1] ?? steps[0])?.id ?? null;
}
