import { useState } from 'preact/hooks';
import { Project } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { formatAgo } from '../format';
import { useNow, usePoll, useTitle } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';

type Order = 'activity' | 'name';

export function ProjectsPage() {
  useTitle('Projects');
  const { client } = useSession();
  const [order, setOrder] = useState<Order>('activity');
  const now = useNow(10_000);
  const projects = usePoll(
    () => client.all<Project>('/api/projects'),
    [client],
    () => 10_000,
  );
  const items = sortProjects(projects.data ?? [], order);

  return (
    <section aria-labelledby="projects-title">
      <div class="page-head">
        <h1 id="projects-title">Projects</h1>
        <a class="button" href={href({ page: 'new-project' })}>
          New project
        </a>
        <fieldset class="segmented">
          <legend>Sort by</legend>
          {(['activity', 'name'] as Order[]).map((value) => (
            <label key={value}>
              <input
                type="radio"
                name="order"
                value={value}
                checked={order === value}
                onChange={() => setOrder(value)}
              />
              {value === 'activity' ? 'Recent activity' : 'Name'}
            </label>
          ))}
        </fieldset>
      </div>
      <LoadState error={projects.error} loading={!projects.data} what="projects" />
      {projects.data && items.length === 0 && (
        <p class="empty">
          No projects yet. <a href={href({ page: 'new-project' })}>Create one</a> here or with{' '}
          <code>kiln projects create &lt;name&gt; --repo &lt;url&gt;</code>.
        </p>
      )}
      {items.length > 0 && (
        <table>
          <caption class="visually-hidden">
            Projects, sorted by {order === 'activity' ? 'recent activity' : 'name'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Repository</th>
              <th scope="col">Default branch</th>
              <th scope="col">Last activity</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <a href={href({ page: 'runs', projectId: p.id, filters: {} })}>{p.name}</a>
                </th>
                <td class="mono">
                  {p.repo_url} <span class="muted">({p.provider})</span>
                </td>
                <td>{p.default_branch ?? '–'}</td>
                <td>
                  <time dateTime={p.last_activity_at ?? undefined}>{formatAgo(p.last_activity_at, now)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function sortProjects(items: Project[], order: Order): Project[] {
  const byName = (a: Project, b: Project) => a.name.localeCompare(b.name);
  if (order === 'name') return [...items].sort(byName);
  const activity = (p: Project) => Date.parse(p.last_activity_at ?? p.created_at ?? '') || 0;
  return [...items].sort((a, b) => activity(b) - activity(a) || byName(a, b));
}
