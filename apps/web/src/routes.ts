/** The UI's pages, addressed by the URL hash so the gateway serves one index.html for all. */
export type Route =
  | { page: 'projects' }
  | { page: 'runs'; projectId: string; filters: RunFilters }
  | { page: 'run'; projectId: string; runId: string }
  | { page: 'runners' }
  | { page: 'new-project' }
  | { page: 'pipelines'; projectId: string }
  | { page: 'pipeline'; projectId: string; pipelineId: string | null }
  | { page: 'settings'; projectId: string }
  | { page: 'tokens' }
  | { page: 'users' }
  | { page: 'not-found'; path: string };

export interface RunFilters {
  status?: string;
  branch?: string;
  trigger?: string;
  cursor?: string;
}

const FILTER_KEYS: (keyof RunFilters)[] = ['status', 'branch', 'trigger', 'cursor'];

export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'projects' };
  if (parts.length === 1 && (parts[0] === 'runners' || parts[0] === 'tokens' || parts[0] === 'users'))
    return { page: parts[0] };
  if (parts[0] === 'projects' && parts[1] === 'new' && parts.length === 2) return { page: 'new-project' };
  if (parts[0] === 'projects' && parts.length === 3 && parts[2] === 'settings')
    return { page: 'settings', projectId: parts[1] };
  if (parts[0] === 'projects' && parts[2] === 'pipelines') {
    if (parts.length === 3) return { page: 'pipelines', projectId: parts[1] };
    if (parts.length === 4)
      return { page: 'pipeline', projectId: parts[1], pipelineId: parts[3] === 'new' ? null : parts[3] };
  }
  if (parts[0] === 'projects' && parts.length === 2) {
    const params = new URLSearchParams(search);
    const filters: RunFilters = {};
    for (const key of FILTER_KEYS) {
      const value = params.get(key);
      if (value) filters[key] = value;
    }
    return { page: 'runs', projectId: parts[1], filters };
  }
  if (parts[0] === 'projects' && parts[2] === 'runs' && parts.length === 4) {
    return { page: 'run', projectId: parts[1], runId: parts[3] };
  }
  return { page: 'not-found', path };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'projects':
      return '#/';
    case 'runners':
    case 'tokens':
    case 'users':
      return `#/${route.page}`;
    case 'new-project':
      return '#/projects/new';
    case 'pipelines':
      return `#/projects/${encodeURIComponent(route.projectId)}/pipelines`;
    case 'pipeline':
      return `#/projects/${encodeURIComponent(route.projectId)}/pipelines/${route.pipelineId ? encodeURIComponent(route.pipelineId) : 'new'}`;
    case 'settings':
      return `#/projects/${encodeURIComponent(route.projectId)}/settings`;
    case 'runs': {
      const params = new URLSearchParams();
      for (const key of FILTER_KEYS) {
        const value = route.filters[key];
        if (value) params.set(key, value);
      }
      const search = params.toString();
      return `#/projects/${encodeURIComponent(route.projectId)}${search ? `?${search}` : ''}`;
    }
    case 'run':
      return `#/projects/${encodeURIComponent(route.projectId)}/runs/${encodeURIComponent(route.runId)}`;
    default:
      return '#/';
  }
}
