import { Page, RegistryCredential } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { FormFooter, TextField } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { usePoll } from '../hooks';
import { useSession } from '../session';
import { RemoveButton } from './remove-button';

/** Credentials for private registries, by host; steps pulling from that host use them. */
export function RegistriesSection({ projectId, admin }: { projectId: string; admin: boolean }) {
  const { client } = useSession();
  const base = `/api/projects/${projectId}/registries`;
  const creds = usePoll(
    () => client.get<Page<RegistryCredential>>(base),
    [client, base],
    () => null,
  );
  const form = useForm<'server' | 'username' | 'password'>('registry', {
    server: '',
    username: '',
    password: '',
  });
  const submit = form.submit(
    (v) =>
      check(v, {
        server: rules.registryHost,
        username: rules.length('username', 1, 256),
        password: rules.length('password', 1, 65_536),
      }),
    async (v) => {
      await client.put(`${base}/${encodeURIComponent(v.server)}`, {
        username: v.username,
        password: v.password,
      });
      form.reset();
      creds.reload();
    },
  );
  return (
    <section aria-labelledby="registries-title" class="panel">
      <h2 id="registries-title">Registry credentials</h2>
      <LoadState error={creds.error} loading={!creds.data} what="registry credentials" />
      {creds.data?.items.length === 0 && <p class="empty">None: images are pulled without credentials.</p>}
      {!!creds.data?.items.length && (
        <ul class="rows" aria-label="Registry credentials">
          {creds.data.items.map((c) => (
            <li key={c.server}>
              <code>{c.server}</code> <span class="muted">as {c.username}</span>
              {admin && (
                <RemoveButton
                  label={`Delete the credentials for ${c.server}`}
                  onRemove={() => client.delete(`${base}/${encodeURIComponent(c.server)}`)}
                  onDone={creds.reload}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {admin && (
        <form class="form inline-form" onSubmit={submit} noValidate aria-label="Set registry credentials">
          <TextField
            id="registry-server"
            label="Registry host"
            value={form.values.server}
            onInput={form.set('server')}
            problem={form.problems.server}
            placeholder="registry.example.com:5000"
          />
          <TextField
            id="registry-username"
            label="Username"
            value={form.values.username}
            onInput={form.set('username')}
            problem={form.problems.username}
          />
          <TextField
            id="registry-password"
            label="Password"
            type="password"
            autoComplete="off"
            value={form.values.password}
            onInput={form.set('password')}
            problem={form.problems.password}
          />
          <FormFooter error={form.error} busy={form.busy} label="Save credentials" busyLabel="Saving…" />
        </form>
      )}
    </section>
  );
}
