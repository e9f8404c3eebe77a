import { useState } from 'preact/hooks';
import { Page, Pipeline, Project, Run, RUN_STATUSES, TRIGGERS } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { ProjectTabs } from '../components/project-tabs';
import { StartRunForm } from '../components/start-run-form';
import { StatusBadge } from '../components/status-badge';
import { elapsed, formatAgo, formatDuration, shortSha } from '../format';
import { useNow, usePoll, useTitle } from '../hooks';
import { href, RunFilters } from '../routes';
import { useSession } from '../session';

const PAGE_SIZE = 20;

export function RunsPage({ projectId, filters }: { projectId: string; filters: RunFilters }) {
  const { client } = useSession();
  const now = useNow(5000);
  const project = usePoll(
    () => client.get<Project>(`/api/projects/${projectId}`),
    [client, projectId],
    () => null,
  );
  const pipelines = usePoll(
    () => client.all<Pipeline>(`/api/projects/${projectId}/pipelines`),
    [client, projectId],
    () => 30_000,
  );
  const runs = usePoll(
    () =>
      client.get<Page<Run>>(`/api/projects/${projectId}/runs`, {
        status: filters.status,
        branch: filters.branch,
        trigger: filters.trigger,
        cursor: filters.cursor,
        limit: PAGE_SIZE,
      }),
    [client, projectId, filters.status, filters.branch, filters.trigger, filters.cursor],
    () => 3000,
  );
  const name = project.data?.name ?? 'Project';
  useTitle(`${name} runs`);
  const pipelineName = new Map((pipelines.data ?? []).map((p) => [p.id, p.name]));
  const go = (next: RunFilters) => (location.hash = href({ page: 'runs', projectId, filters: next }));

  return (
    <section aria-labelledby="runs-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/">Projects</a> <span aria-hidden="true">/</span> {name}
      </nav>
      <div class="page-head">
        <h1 id="runs-title">{name}</h1>
        {project.data && <span class="muted mono">{project.data.repo_url}</span>}
      </div>
      <ProjectTabs projectId={projectId} current="runs" />
      {project.data && pipelines.data && pipelines.data.length > 0 && project.data.role !== 'read' && (
        <StartRunForm
          projectId={projectId}
          pipelines={pipelines.data}
          defaultBranch={project.data.default_branch ?? 'main'}
          branches={branchesOf(runs.data?.items ?? [])}
        />
      )}
      <Filters
        filters={filters}
        branches={branchesOf(runs.data?.items ?? [])}
        onChange={(f) => go({ ...f, cursor: undefined })}
      />
      <LoadState error={project.error ?? runs.error} loading={!runs.data} what="runs" />
      {runs.data && runs.data.items.length === 0 && (
        <p class="empty">
          {filters.status || filters.branch || filters.trigger || filters.cursor ? (
            'No runs match these filters.'
          ) : pipelines.data?.length === 0 ? (
            <>
              No runs yet, and no pipeline to run.{' '}
              <a href={href({ page: 'pipeline', projectId, pipelineId: null })}>Add a pipeline</a>; pushes and
              manual runs then start it.
            </>
          ) : (
            'No runs yet. A push to the repository or “Start a run” above starts one.'
          )}
        </p>
      )}
      {runs.data && runs.data.items.length > 0 && (
        <table>
          <caption class="visually-hidden">Runs of {name}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Pipeline</th>
              <th scope="col">Status</th>
              <th scope="col">Branch or ref</th>
              <th scope="col">Commit</th>
              <th scope="col">Trigger</th>
              <th scope="col">Created</th>
              <th scope="col" class="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.data.items.map((r) => (
              <tr key={r.id}>
                <th scope="row">
                  <a href={href({ page: 'run', projectId, runId: r.id })}>#{r.number}</a>
                </th>
                <td>
                  {pipelineName.get(r.pipeline_id) ??
                    (pipelines.data ? <span class="muted">deleted pipeline</span> : '…')}
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td class="mono">{r.branch ?? r.git_ref}</td>
                <td class="mono">{shortSha(r.commit_sha)}</td>
                <td>{r.trigger}</td>
                <td>
                  <time dateTime={r.created_at}>{formatAgo(r.created_at, now)}</time>
                </td>
                <td class="num">{formatDuration(elapsed(r.started_at, r.finished_at, now))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages of runs">
        {filters.cursor && (
          <a
            class="button secondary"
            href={href({ page: 'runs', projectId, filters: { ...filters, cursor: undefined } })}
          >
            ← Newest runs
          </a>
        )}
        {runs.data?.next_cursor && (
          <a
            class="button secondary"
            href={href({ page: 'runs', projectId, filters: { ...filters, cursor: runs.data.next_cursor } })}
          >
            Older runs →
          </a>
        )}
      </nav>
    </section>
  );
}

function Filters({
  filters,
  branches,
  onChange,
}: {
  filters: RunFilters;
  branches: string[];
  onChange: (f: RunFilters) => void;
}) {
  const [branch, setBranch] = useState(filters.branch ?? '');
  return (
    <form
      class="filters"
      aria-label="Filter runs"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...filters, branch: branch.trim() || undefined });
      }}
    >
      <div>
        <label for="filter-branch">Branch</label>
        <input
          id="filter-branch"
          list="known-branches"
          value={branch}
          placeholder="any"
          onInput={(e) => setBranch((e.target as HTMLInputElement).value)}
          onChange={(e) =>
            onChange({ ...filters, branch: (e.target as HTMLInputElement).value.trim() || undefined })
          }
        />
        <datalist id="known-branches">
          {branches.map((b) => (
            <option key={b} value={b} />
          ))}
        </datalist>
      </div>
      <div>
        <label for="filter-status">Status</label>
        <select
          id="filter-status"
          value={filters.status ?? ''}
          onChange={(e) =>
            onChange({ ...filters, status: (e.target as HTMLSelectElement).value || undefined })
          }
        >
          <option value="">any</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="filter-trigger">Trigger</label>
        <select
          id="filter-trigger"
          value={filters.trigger ?? ''}
          onChange={(e) =>
            onChange({ ...filters, trigger: (e.target as HTMLSelectElement).value || undefined })
          }
        >
          <option value="">any</option>
          {TRIGGERS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="secondary">
        Apply
      </button>
      {(filters.status || filters.branch || filters.trigger) && (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setBranch('');
            onChange({});
          }}
        >
          Clear filters
        </button>
      )}
    </form>
  );
}

function branchesOf(runs: Run[]): string[] {
  return [...new Set(runs.map((r) => r.branch).filter((b): b is string => !!b))].sort();
}
