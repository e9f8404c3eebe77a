import { useState } from 'preact/hooks';
import { Project } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { ProjectTabs } from '../components/project-tabs';
import { usePoll, useTitle } from '../hooks';
import { useSession } from '../session';
import { BadgeSection } from '../settings/badge-section';
import { MembersSection } from '../settings/members-section';
import { ProjectForm } from '../settings/project-form';
import { RegistriesSection } from '../settings/registries-section';
import { SecretsSection } from '../settings/secrets-section';
import { WebhooksSection } from '../settings/webhooks-section';

export function SettingsPage({ projectId }: { projectId: string }) {
  const { client } = useSession();
  const project = usePoll(
    () => client.get<Project>(`/api/projects/${projectId}`),
    [client, projectId],
    () => null,
  );
  const [current, setCurrent] = useState<Project | null>(null);
  const p = current ?? project.data;
  useTitle(`${p?.name ?? 'Project'} settings`);
  if (!p) return <LoadState error={project.error} loading what="the project" />;
  const admin = p.role === 'admin';

  return (
    <section aria-labelledby="settings-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/">Projects</a> <span aria-hidden="true">/</span> {p.name}
      </nav>
      <div class="page-head">
        <h1 id="settings-title">{p.name}</h1>
        <span class="muted">your role: {p.role}</span>
      </div>
      <ProjectTabs projectId={projectId} current="settings" />
      {!admin && <p class="hint">Only project admins change these settings.</p>}
      {admin && (
        <section aria-labelledby="general-title" class="panel">
          <h2 id="general-title">General</h2>
          <ProjectForm project={p} onSaved={setCurrent} />
        </section>
      )}
      <BadgeSection project={p} />
      <SecretsSection projectId={projectId} admin={admin} />
      <MembersSection projectId={projectId} admin={admin} />
      <WebhooksSection projectId={projectId} admin={admin} />
      <RegistriesSection projectId={projectId} admin={admin} />
      {admin && <DeleteProject project={p} />}
    </section>
  );
}

function DeleteProject({ project }: { project: Project }) {
  const { client } = useSession();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const remove = async (event: Event) => {
    event.preventDefault();
    try {
      await client.delete(`/api/projects/${project.id}`);
      location.hash = '#/';
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="delete-title" class="panel danger-zone">
      <h2 id="delete-title">Delete the project</h2>
      <form class="form inline-form" onSubmit={remove} aria-label="Delete the project">
        <div class="field">
          <label for="delete-confirm">Type {project.name} to confirm</label>
          <input
            id="delete-confirm"
            value={typed}
            onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
            spellcheck={false}
          />
        </div>
        <div class="actions">
          <button type="submit" class="danger" disabled={typed !== project.name}>
            Delete project, its pipelines and runs
          </button>
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
