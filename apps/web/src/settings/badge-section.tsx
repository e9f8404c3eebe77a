import { useState } from 'preact/hooks';
import { Page, Pipeline, Project } from '@kiln/api-wire';
import { CopyButton } from '../components/copy-button';
import { usePoll } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';

/**
 * The status badge of a pipeline on a branch: its address and Markdown to copy, and a preview.
 * Without a token the badge answers only when the project's public_badge setting is on.
 */
export function BadgeSection({ project }: { project: Project }) {
  const { client } = useSession();
  const pipelines = usePoll(
    () => client.get<Page<Pipeline>>(`/api/projects/${project.id}/pipelines`),
    [client, project.id],
    () => null,
  );
  const [pipeline, setPipeline] = useState('');
  const [branch, setBranch] = useState(project.default_branch ?? 'main');
  const query = new URLSearchParams({ ...(pipeline ? { pipeline } : {}), ...(branch.trim() ? { branch: branch.trim() } : {}) });
  const search = query.toString();
  const url = new URL(`api/projects/${project.id}/badge.svg${search ? `?${search}` : ''}`, location.href).href;
  const runs = new URL(href({ page: 'runs', projectId: project.id, filters: {} }), location.href).href;
  const markdown = `[![${project.name} status](${url})](${runs})`;

  return (
    <section aria-labelledby="badge-title" class="panel">
      <h2 id="badge-title">Status badge</h2>
      <p class="hint" data-testid="badge-visibility">
        {project.public_badge
          ? 'Anyone with the address sees the badge (public badge is on).'
          : 'Only signed-in clients see the badge: turn on “Public status badge” above to show it in a README.'}
      </p>
      <div class="form inline-form">
        <div class="field">
          <label for="badge-pipeline">Pipeline</label>
          <select id="badge-pipeline" value={pipeline} onChange={(e) => setPipeline((e.target as HTMLSelectElement).value)}>
            <option value="">Any pipeline</option>
            {pipelines.data?.items.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="badge-branch">Branch</label>
          <input
            id="badge-branch"
            type="text"
            value={branch}
            onInput={(e) => setBranch((e.target as HTMLInputElement).value)}
            spellcheck={false}
          />
        </div>
      </div>
      <dl class="facts">
        <div>
          <dt>Address</dt>
          <dd class="mono" data-testid="badge-url">
            {url} <CopyButton text={() => url} label="Copy the badge address" />
          </dd>
        </div>
        <div>
          <dt>Markdown</dt>
          <dd class="mono" data-testid="badge-markdown">
            {markdown} <CopyButton text={() => markdown} label="Copy the badge Markdown" />
          </dd>
        </div>
      </dl>
      {project.public_badge && <img src={url} alt={`${project.name} status badge`} data-testid="badge-preview" />}
    </section>
  );
}
