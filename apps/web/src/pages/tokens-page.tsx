import { useState } from 'preact/hooks';
import { CreatedToken, Token, TOKEN_SCOPES } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { ShownOnce } from '../components/shown-once';
import { FormFooter, TextField } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { formatAgo } from '../format';
import { usePoll, useTitle } from '../hooks';
import { useSession } from '../session';
import { RemoveButton } from '../settings/remove-button';

/** The signed-in user's API tokens: create (shown once), list, revoke. */
export function TokensPage() {
  useTitle('API tokens');
  const { client, me } = useSession();
  const tokens = usePoll(
    () => client.all<Token>('/api/tokens'),
    [client],
    () => null,
  );
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [scopes, setScopes] = useState<string[]>(['project:read', 'project:write']);
  const form = useForm<'name' | 'expires_in_days' | 'scopes'>('token', {
    name: '',
    expires_in_days: '',
    scopes: '',
  });
  const submit = form.submit(
    (v) => ({
      ...check(v, { name: rules.length('name', 1, 100) }),
      ...(v.expires_in_days &&
      !/^([1-9]\d{0,2}|[1-2]\d{3}|3[0-5]\d{2}|36[0-4]\d|3650)$/.test(v.expires_in_days)
        ? { expires_in_days: 'expires_in_days must be a whole number from 1 to 3650' }
        : {}),
      ...(scopes.length ? {} : { scopes: 'choose at least one scope' }),
    }),
    async (v) => {
      const token = await client.post<CreatedToken>('/api/tokens', {
        name: v.name,
        scopes,
        ...(v.expires_in_days ? { expires_in_days: Number(v.expires_in_days) } : {}),
      });
      setCreated(token);
      form.reset();
      tokens.reload();
    },
  );
  const available = TOKEN_SCOPES.filter((s) => s !== 'admin' || me.is_admin);

  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">API tokens</h1>
      <p class="hint">
        Tokens sign in the CLI (<code>kiln login</code>), scripts and this page. They act as you.
      </p>
      {created && <ShownOnce label={`Token ${created.name}`} value={created.token} id="new-token" />}
      <LoadState error={tokens.error} loading={!tokens.data} what="tokens" />
      {!!tokens.data?.length && (
        <table>
          <caption class="visually-hidden">Your API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Scopes</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <th scope="row">{t.name}</th>
                <td class="mono">{t.prefix}…</td>
                <td>{t.scopes.join(', ')}</td>
                <td>{formatAgo(t.last_used_at)}</td>
                <td>{t.revoked_at ? 'revoked' : (t.expires_at?.slice(0, 10) ?? 'never')}</td>
                <td>
                  {!t.revoked_at && (
                    <RemoveButton
                      label={`Revoke the token ${t.name}`}
                      text="Revoke"
                      onRemove={() => client.delete(`/api/tokens/${t.id}`)}
                      onDone={tokens.reload}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New token</h2>
      <form class="form" onSubmit={submit} noValidate aria-label="New token">
        <TextField
          id="token-name"
          label="Name"
          value={form.values.name}
          onInput={form.set('name')}
          problem={form.problems.name}
          placeholder="ci laptop"
        />
        <fieldset
          class="choices"
          aria-describedby={form.problems.scopes ? 'token-scopes-problem' : undefined}
        >
          <legend>Scopes</legend>
          {available.map((s) => (
            <label key={s} class="inline">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes((list) =>
                    (e.target as HTMLInputElement).checked ? [...list, s] : list.filter((x) => x !== s),
                  )
                }
              />
              {s}
            </label>
          ))}
          {form.problems.scopes && (
            <p id="token-scopes-problem" class="field-problem">
              {form.problems.scopes}
            </p>
          )}
        </fieldset>
        <TextField
          id="token-expires_in_days"
          label="Expires after days (optional)"
          type="number"
          value={form.values.expires_in_days}
          onInput={form.set('expires_in_days')}
          problem={form.problems.expires_in_days}
          hint="Empty: never expires."
        />
        <FormFooter error={form.error} busy={form.busy} label="Create token" busyLabel="Creating…" />
      </form>
    </section>
  );
}
