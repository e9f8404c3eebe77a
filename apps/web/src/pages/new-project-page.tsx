import { useEffect, useRef, useState } from 'preact/hooks';
import { CreatedProject, PlatformInfo, Project, ProjectInput, PROVIDERS, Provider } from '@kiln/api-wire';
import { ShownOnce } from '../components/shown-once';
import { Field, FormFooter, TextField, described } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { usePoll, useTitle } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';

type Key = 'name' | 'repo_url' | 'provider' | 'repo_full_name' | 'default_branch' | 'webhook_secret';

export function NewProjectPage() {
  useTitle('New project');
  const { client } = useSession();
  const [created, setCreated] = useState<{ project: CreatedProject; secret: string } | null>(null);
  const form = useForm<Key>('project', {
    name: '',
    repo_url: '',
    provider: 'github',
    repo_full_name: '',
    default_branch: '',
    webhook_secret: '',
  });
  const { values, problems } = form;

  const submit = form.submit(
    (v) =>
      check(
        v,
        {
          name: rules.name,
          repo_url: rules.repoUrl,
          repo_full_name: rules.repoFullName,
          default_branch: rules.gitRef('default_branch'),
          webhook_secret: rules.length('webhook_secret', 8, 256),
        },
        ['repo_full_name', 'default_branch', 'webhook_secret'],
      ),
    async (v) => {
      const body: ProjectInput = {
        name: v.name,
        repo_url: v.repo_url.trim(),
        provider: v.provider as Provider,
      };
      if (v.repo_full_name) body.repo_full_name = v.repo_full_name;
      if (v.default_branch) body.default_branch = v.default_branch;
      if (v.webhook_secret) body.webhook_secret = v.webhook_secret;
      const project = await client.post<CreatedProject>('/api/projects', body);
      setCreated({ project, secret: project.webhook_secret ?? v.webhook_secret });
    },
  );

  if (created) return <ProjectCreated project={created.project} secret={created.secret} />;
  return (
    <section aria-labelledby="new-project-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/">Projects</a> <span aria-hidden="true">/</span> New project
      </nav>
      <h1 id="new-project-title">New project</h1>
      <form class="form" onSubmit={submit} noValidate aria-label="New project">
        <TextField
          id="project-name"
          label="Name"
          value={values.name}
          onInput={form.set('name')}
          problem={problems.name}
          hint="Lowercase letters, digits, “-”, “_” and “.”; at most 63."
          required
        />
        <TextField
          id="project-repo_url"
          label="Repository URL"
          value={values.repo_url}
          onInput={form.set('repo_url')}
          problem={problems.repo_url}
          hint="Any URL git can clone, e.g. https://github.com/acme/api.git."
          required
        />
        <Field id="project-provider" label="Provider" problem={problems.provider}>
          <select
            {...described('project-provider', false, problems.provider)}
            value={values.provider}
            onChange={form.set('provider')}
          >
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p === 'git' ? 'plain git (no webhooks)' : p === 'github' ? 'GitHub' : 'GitLab'}
              </option>
            ))}
          </select>
        </Field>
        <TextField
          id="project-repo_full_name"
          label="Repository name at the provider (optional)"
          value={values.repo_full_name}
          onInput={form.set('repo_full_name')}
          problem={problems.repo_full_name}
          hint="owner/name — webhooks find the project by it; derived from the URL when empty. Set it for mirrors and local paths."
        />
        <TextField
          id="project-default_branch"
          label="Default branch (optional)"
          value={values.default_branch}
          onInput={form.set('default_branch')}
          problem={problems.default_branch}
          placeholder="main"
        />
        <TextField
          id="project-webhook_secret"
          label="Webhook secret (optional)"
          type="password"
          autoComplete="new-password"
          value={values.webhook_secret}
          onInput={form.set('webhook_secret')}
          problem={problems.webhook_secret}
          hint="8 to 256 characters; Kiln generates one when empty and shows it once."
        />
        <FormFooter error={form.error} busy={form.busy} label="Create project" busyLabel="Creating…" />
      </form>
    </section>
  );
}

/** The webhook address and secret, shown once, with what to click at GitHub or GitLab. */
function ProjectCreated({ project, secret }: { project: Project; secret: string }) {
  const { client } = useSession();
  const info = usePoll(
    () => client.get<PlatformInfo>('/api/platform'),
    [client],
    () => null,
  );
  const base = info.data?.webhook_url ?? `${location.protocol}//${location.hostname}:8081`;
  const url = `${base}/webhooks/${project.provider}`;
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);
  return (
    <section aria-labelledby="created-title">
      <h1 id="created-title" tabIndex={-1} ref={title}>
        Project {project.name} created
      </h1>
      {project.provider === 'git' ? (
        <p>
          A plain git repository sends no webhooks: start runs from the project page, or with{' '}
          <code>kiln run</code>.
        </p>
      ) : (
        <>
          <dl class="facts">
            <div>
              <dt>Webhook URL</dt>
              <dd class="mono" data-testid="webhook-url">
                {url}
              </dd>
            </div>
            <div>
              <dt>Repository</dt>
              <dd class="mono">{project.repo_full_name ?? '–'}</dd>
            </div>
          </dl>
          <ShownOnce label="Webhook secret" value={secret} id="webhook-secret" />
          {project.provider === 'github' ? <GitHubSteps url={url} /> : <GitLabSteps url={url} />}
          <p class="hint">
            Check the wiring with <code>kiln hook test {project.name}</code>: it sends a signed sample push.
          </p>
        </>
      )}
      <div class="actions">
        <a class="button" href={href({ page: 'pipeline', projectId: project.id, pipelineId: null })}>
          Add a pipeline
        </a>
        <a class="button secondary" href={href({ page: 'runs', projectId: project.id, filters: {} })}>
          Go to the project
        </a>
      </div>
    </section>
  );
}

function GitHubSteps({ url }: { url: string }) {
  return (
    <>
      <h2>Connect GitHub</h2>
      <ol class="steps">
        <li>In the repository on GitHub open Settings → Webhooks → Add webhook.</li>
        <li>
          Payload URL: <code>{url}</code>
        </li>
        <li>
          Content type: <code>application/json</code>.
        </li>
        <li>Secret: the webhook secret above.</li>
        <li>Events: “Let me select individual events” → Pushes and Pull requests. Save.</li>
        <li>GitHub sends a ping; Kiln answers it with 202 “ignored”, which means the secret matched.</li>
      </ol>
    </>
  );
}

function GitLabSteps({ url }: { url: string }) {
  return (
    <>
      <h2>Connect GitLab</h2>
      <ol class="steps">
        <li>In the project on GitLab open Settings → Webhooks → Add new webhook.</li>
        <li>
          URL: <code>{url}</code>
        </li>
        <li>Secret token: the webhook secret above.</li>
        <li>Trigger: Push events and Merge request events. Add webhook.</li>
        <li>Use “Test → Push events”: Kiln answers 202 when the token matched.</li>
      </ol>
    </>
  );
}
