import { Pipeline, Project } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { ProjectTabs } from '../components/project-tabs';
import { usePoll, useTitle } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';

export function PipelinesPage({ projectId }: { projectId: string }) {
  const { client } = useSession();
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
  const name = project.data?.name ?? 'Project';
  useTitle(`${name} pipelines`);
  const canWrite = project.data?.role !== 'read';

  return (
    <section aria-labelledby="pipelines-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/">Projects</a> <span aria-hidden="true">/</span> {name}
      </nav>
      <div class="page-head">
        <h1 id="pipelines-title">{name}</h1>
        {canWrite && (
          <a class="button" href={href({ page: 'pipeline', projectId, pipelineId: null })}>
            New pipeline
          </a>
        )}
      </div>
      <ProjectTabs projectId={projectId} current="pipelines" />
      <LoadState error={project.error ?? pipelines.error} loading={!pipelines.data} what="pipelines" />
      {pipelines.data && pipelines.data.length === 0 && (
        <p class="empty">
          No pipelines yet. Add one: paste a definition, or name the file in the repository that holds it (
          <code>.platform.yaml</code> by default); pushes and manual runs then start it.
        </p>
      )}
      {pipelines.data && pipelines.data.length > 0 && (
        <table>
          <caption class="visually-hidden">Pipelines of {name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Definition</th>
              <th scope="col">Schedule</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {pipelines.data.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <a href={href({ page: 'pipeline', projectId, pipelineId: p.id })}>{p.name}</a>
                </th>
                <td>{p.source === 'inline' ? 'inline' : <span class="mono">{p.config_path}</span>}</td>
                <td class="mono">{p.schedule_cron ?? '–'}</td>
                <td>{p.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
