import { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, ApiError } from './api/api-client';
import { Me } from '@kiln/api-wire';
import { NewProjectPage } from './pages/new-project-page';
import { PipelinePage } from './pages/pipeline-page';
import { PipelinesPage } from './pages/pipelines-page';
import { ProjectsPage } from './pages/projects-page';
import { RunPage } from './pages/run-page';
import { RunnersPage } from './pages/runners-page';
import { RunsPage } from './pages/runs-page';
import { SettingsPage } from './pages/settings-page';
import { SignInPage } from './pages/sign-in-page';
import { TokensPage } from './pages/tokens-page';
import { UsersPage } from './pages/users-page';
import { parseRoute, Route } from './routes';
import { Session, SessionContext, tokenStore } from './session';

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; notice?: string }
  | { state: 'signed-in'; token: string; me: Me };

export function App() {
  const [auth, setAuth] = useState<Auth>(() =>
    tokenStore.read() ? { state: 'checking' } : { state: 'signed-out' },
  );
  const route = useRoute();

  const signOut = (notice?: string) => {
    tokenStore.write(null);
    setAuth({ state: 'signed-out', notice });
  };

  useEffect(() => {
    if (auth.state !== 'checking') return;
    const token = tokenStore.read() ?? '';
    new ApiClient(token)
      .get<Me>('/api/me')
      .then((me) => setAuth({ state: 'signed-in', token, me }))
      .catch((error: ApiError) =>
        error.unauthenticated
          ? signOut('Your token is no longer accepted. Sign in again.')
          : setAuth({ state: 'signed-out', notice: error.message }),
      );
  }, [auth.state]);

  const session = useMemo<Session | null>(() => {
    if (auth.state !== 'signed-in') return null;
    const client = new ApiClient(auth.token, '', () =>
      signOut('Your token is no longer accepted. Sign in again.'),
    );
    return { client, me: auth.me, signOut: () => signOut() };
  }, [auth]);

  if (auth.state === 'checking')
    return (
      <p class="loading" role="status">
        Checking your sign-in…
      </p>
    );
  if (!session) {
    return (
      <SignInPage
        notice={auth.state === 'signed-out' ? auth.notice : undefined}
        onSignIn={(token, me) => {
          tokenStore.write(token);
          setAuth({ state: 'signed-in', token, me });
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout route={route} session={session}>
        <Page route={route} />
      </Layout>
    </SessionContext.Provider>
  );
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'projects':
      return <ProjectsPage />;
    case 'runs':
      return <RunsPage projectId={route.projectId} filters={route.filters} />;
    case 'run':
      return <RunPage projectId={route.projectId} runId={route.runId} />;
    case 'runners':
      return <RunnersPage />;
    case 'new-project':
      return <NewProjectPage />;
    case 'pipelines':
      return <PipelinesPage projectId={route.projectId} />;
    case 'pipeline':
      return <PipelinePage projectId={route.projectId} pipelineId={route.pipelineId} />;
    case 'settings':
      return <SettingsPage projectId={route.projectId} />;
    case 'tokens':
      return <TokensPage />;
    case 'users':
      return <UsersPage />;
    default:
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="#/">Back to the projects</a>.
          </p>
        </section>
      );
  }
}

function Layout({
  route,
  session,
  children,
}: {
  route: Route;
  session: Session;
  children: ComponentChildren;
}) {
  const own = ['runners', 'tokens', 'users'];
  const current = (page: string) =>
    route.page === page || (page === 'projects' && !own.includes(route.page)) ? 'page' : undefined;
  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => skipToMain(e)}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/">
          Kiln
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={current('projects')}>
            Projects
          </a>
          <a href="#/runners" aria-current={current('runners')}>
            Runners
          </a>
          <a href="#/tokens" aria-current={current('tokens')}>
            Tokens
          </a>
          {session.me.is_admin && (
            <a href="#/users" aria-current={current('users')}>
              Users
            </a>
          )}
        </nav>
        <div class="who">
          <span>{session.me.name}</span>
          <button type="button" class="secondary" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

// Hash routing owns the fragment, so the skip link moves focus itself instead of navigating.
function skipToMain(event: MouseEvent): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}
