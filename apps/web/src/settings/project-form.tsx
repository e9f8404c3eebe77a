import { useState } from 'preact/hooks';
import { Project, PROVIDERS } from '@kiln/api-wire';
import { Field, FormFooter, TextField, described } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { useSession } from '../session';

type Key =
  | 'name'
  | 'repo_url'
  | 'repo_full_name'
  | 'provider'
  | 'default_branch'
  | 'concurrency_limit'
  | 'secrets_for_forks'
  | 'public_badge'
  | 'webhook_secret';

/** A project's own settings (PATCH: only changed fields are sent; an empty webhook secret keeps it). */
export function ProjectForm({ project, onSaved }: { project: Project; onSaved: (p: Project) => void }) {
  const { client } = useSession();
  const [saved, setSaved] = useState(false);
  const initial: Record<Key, string> = {
    name: project.name,
    repo_url: project.repo_url,
    repo_full_name: project.repo_full_name ?? '',
    provider: project.provider,
    default_branch: project.default_branch ?? 'main',
    concurrency_limit: project.concurrency_limit ? String(project.concurrency_limit) : '',
    secrets_for_forks: project.secrets_for_forks ? 'true' : 'false',
    public_badge: project.public_badge ? 'true' : 'false',
    webhook_secret: '',
  };
  const form = useForm<Key>('settings', initial);
  const { values, problems } = form;

  const submit = form.submit(
    (v) => ({
      ...check(
        v,
        {
          name: rules.name,
          repo_url: rules.repoUrl,
          repo_full_name: rules.repoFullName,
          default_branch: rules.gitRef('default_branch'),
          webhook_secret: rules.length('webhook_secret', 8, 256),
        },
        ['repo_full_name', 'webhook_secret'],
      ),
      ...(v.concurrency_limit && !/^([1-9]\d{0,2}|1000)$/.test(v.concurrency_limit)
        ? {
            concurrency_limit:
              'concurrency_limit must be a whole number from 1 to 1000, or empty for no limit',
          }
        : {}),
    }),
    async (v) => {
      const body: Record<string, unknown> = {};
      for (const key of ['name', 'repo_url', 'repo_full_name', 'provider', 'default_branch'] as const) {
        if (v[key] !== initial[key] && v[key] !== '') body[key] = v[key];
      }
      if (v.concurrency_limit !== initial.concurrency_limit)
        body.concurrency_limit = v.concurrency_limit ? Number(v.concurrency_limit) : null;
      for (const key of ['secrets_for_forks', 'public_badge'] as const) {
        if (v[key] !== initial[key]) body[key] = v[key] === 'true';
      }
      if (v.webhook_secret) body.webhook_secret = v.webhook_secret;
      setSaved(false);
      onSaved(await client.patch<Project>(`/api/projects/${project.id}`, body));
      form.setValue('webhook_secret', '');
      setSaved(true);
    },
  );

  return (
    <form class="form" onSubmit={submit} noValidate aria-label="Project settings">
      <TextField
        id="settings-name"
        label="Name"
        value={values.name}
        onInput={form.set('name')}
        problem={problems.name}
      />
      <TextField
        id="settings-repo_url"
        label="Repository URL"
        value={values.repo_url}
        onInput={form.set('repo_url')}
        problem={problems.repo_url}
      />
      <TextField
        id="settings-repo_full_name"
        label="Repository name at the provider"
        value={values.repo_full_name}
        onInput={form.set('repo_full_name')}
        problem={problems.repo_full_name}
        hint="owner/name; webhooks are matched by it."
      />
      <Field id="settings-provider" label="Provider" problem={problems.provider}>
        <select
          {...described('settings-provider', false, problems.provider)}
          value={values.provider}
          onChange={form.set('provider')}
        >
          {PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </Field>
      <TextField
        id="settings-default_branch"
        label="Default branch"
        value={values.default_branch}
        onInput={form.set('default_branch')}
        problem={problems.default_branch}
      />
      <TextField
        id="settings-concurrency_limit"
        label="Most runs at once (optional)"
        type="number"
        value={values.concurrency_limit}
        onInput={form.set('concurrency_limit')}
        problem={problems.concurrency_limit}
        hint="Empty: no limit."
      />
      <label class="inline">
        <input
          type="checkbox"
          checked={values.secrets_for_forks === 'true'}
          onChange={(e) => form.setValue('secrets_for_forks', String((e.target as HTMLInputElement).checked))}
        />
        Give runs of pull requests from forks the secrets and the deploy hand-off
      </label>
      <label class="inline">
        <input
          type="checkbox"
          checked={values.public_badge === 'true'}
          onChange={(e) => form.setValue('public_badge', String((e.target as HTMLInputElement).checked))}
        />
        Public status badge: anyone may see the latest run's status as an image, without a token
      </label>
      <TextField
        id="settings-webhook_secret"
        label="New webhook secret (optional)"
        type="password"
        autoComplete="new-password"
        value={values.webhook_secret}
        onInput={form.set('webhook_secret')}
        problem={problems.webhook_secret}
        hint="Leave empty to keep the current one; set the same value at the provider."
      />
      {saved && (
        <p class="notice-ok" role="status">
          Settings saved.
        </p>
      )}
      <FormFooter error={form.error} busy={form.busy} label="Save settings" busyLabel="Saving…" />
    </form>
  );
}
