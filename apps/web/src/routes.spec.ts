import { href, parseRoute } from './routes';

describe('UI routes', () => {
  it('round-trips every page through the URL hash', () => {
    const routes = [
      { page: 'projects' as const },
      { page: 'runners' as const },
      {
        page: 'runs' as const,
        projectId: 'p1',
        filters: { status: 'failed', branch: 'release/1.x', cursor: 'abc' },
      },
      { page: 'run' as const, projectId: 'p1', runId: 'r9' },
      { page: 'new-project' as const },
      { page: 'pipelines' as const, projectId: 'p1' },
      { page: 'pipeline' as const, projectId: 'p1', pipelineId: 'q2' },
      { page: 'pipeline' as const, projectId: 'p1', pipelineId: null },
      { page: 'settings' as const, projectId: 'p1' },
      { page: 'tokens' as const },
      { page: 'users' as const },
    ];
    for (const route of routes) expect(parseRoute(href(route))).toEqual(route);
  });

  it('sends unknown paths to a not-found page', () => {
    expect(parseRoute('#/nope/x')).toEqual({ page: 'not-found', path: '/nope/x' });
  });
});
