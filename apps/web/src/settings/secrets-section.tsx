import { Page, Secret } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { FormFooter, TextField } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { formatAgo } from '../format';
import { usePoll } from '../hooks';
import { useSession } from '../session';
import { RemoveButton } from './remove-button';

/** Secret names (values are write-only), a form to set one, and delete. */
export function SecretsSection({ projectId, admin }: { projectId: string; admin: boolean }) {
  const { client } = useSession();
  const base = `/api/projects/${projectId}/secrets`;
  const secrets = usePoll(
    () => client.get<Page<Secret>>(base),
    [client, base],
    () => null,
  );
  const form = useForm<'name' | 'value'>('secret', { name: '', value: '' });
  const submit = form.submit(
    (v) => check(v, { name: rules.secretName, value: rules.length('value', 1, 65_536) }),
    async (v) => {
      await client.put(`${base}/${encodeURIComponent(v.name)}`, { value: v.value });
      form.reset();
      secrets.reload();
    },
  );
  return (
    <section aria-labelledby="secrets-title" class="panel">
      <h2 id="secrets-title">Secrets</h2>
      <p class="hint">
        Steps get a secret only when their definition names it (<code>secrets: [NAME]</code>); values are
        never shown again and are masked in logs.
      </p>
      <LoadState error={secrets.error} loading={!secrets.data} what="secrets" />
      {secrets.data?.items.length === 0 && <p class="empty">No secrets yet.</p>}
      {!!secrets.data?.items.length && (
        <ul class="rows" aria-label="Secrets">
          {secrets.data.items.map((s) => (
            <li key={s.name}>
              <code>{s.name}</code> <span class="muted">updated {formatAgo(s.updated_at)}</span>
              {admin && (
                <RemoveButton
                  label={`Delete the secret ${s.name}`}
                  onRemove={() => client.delete(`${base}/${s.name}`)}
                  onDone={secrets.reload}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {admin && (
        <form class="form inline-form" onSubmit={submit} noValidate aria-label="Set a secret">
          <TextField
            id="secret-name"
            label="Name"
            value={form.values.name}
            onInput={form.set('name')}
            problem={form.problems.name}
            placeholder="NPM_TOKEN"
          />
          <TextField
            id="secret-value"
            label="Value"
            type="password"
            autoComplete="off"
            value={form.values.value}
            onInput={form.set('value')}
            problem={form.problems.value}
          />
          <FormFooter error={form.error} busy={form.busy} label="Save secret" busyLabel="Saving…" />
        </form>
      )}
    </section>
  );
}
