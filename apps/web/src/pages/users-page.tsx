import { useState } from 'preact/hooks';
import { CreatedUser, User } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { ShownOnce } from '../components/shown-once';
import { FormFooter, TextField } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { formatAgo } from '../format';
import { usePoll, useTitle } from '../hooks';
import { useSession } from '../session';
import { RemoveButton } from '../settings/remove-button';

/** Platform admins: every user, and a form that creates one with a first token (shown once). */
export function UsersPage() {
  useTitle('Users');
  const { client, me } = useSession();
  const users = usePoll(
    () => (me.is_admin ? client.all<User>('/api/users') : Promise.resolve([])),
    [client, me.is_admin],
    () => null,
  );
  const [created, setCreated] = useState<CreatedUser | null>(null);
  const form = useForm<'name' | 'email' | 'is_admin'>('user', { name: '', email: '', is_admin: 'false' });
  const submit = form.submit(
    (v) => check(v, { name: rules.length('name', 1, 100), email: rules.email }),
    async (v) => {
      const user = await client.post<CreatedUser>('/api/users', {
        name: v.name.trim(),
        email: v.email.trim(),
        is_admin: v.is_admin === 'true',
      });
      setCreated(user);
      form.reset();
      users.reload();
    },
  );
  if (!me.is_admin)
    return (
      <section>
        <h1>Users</h1>
        <p class="hint">Only platform admins manage users.</p>
      </section>
    );

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      {created && (
        <>
          <p>
            {created.name} was created (id <code data-testid="new-user-id">{created.id}</code>). Give them
            this token to sign in, and add them to projects from each project's settings.
          </p>
          <ShownOnce label={`Token for ${created.name}`} value={created.token} id="new-user-token" />
        </>
      )}
      <LoadState error={users.error} loading={!users.data} what="users" />
      {!!users.data?.length && (
        <table>
          <caption class="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Platform admin</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id}>
                <th scope="row">{u.name}</th>
                <td>{u.email}</td>
                <td>{u.is_admin ? 'yes' : 'no'}</td>
                <td>{formatAgo(u.created_at)}</td>
                <td>{u.disabled ? 'disabled' : 'active'}</td>
                <td>{u.id !== me.id && <UserActions user={u} onDone={users.reload} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New user</h2>
      <form class="form" onSubmit={submit} noValidate aria-label="New user">
        <TextField
          id="user-name"
          label="Name"
          value={form.values.name}
          onInput={form.set('name')}
          problem={form.problems.name}
        />
        <TextField
          id="user-email"
          label="Email"
          type="email"
          value={form.values.email}
          onInput={form.set('email')}
          problem={form.problems.email}
        />
        <label class="inline">
          <input
            type="checkbox"
            checked={form.values.is_admin === 'true'}
            onChange={(e) => form.setValue('is_admin', String((e.target as HTMLInputElement).checked))}
          />
          Platform admin (sees and manages every project)
        </label>
        <FormFooter error={form.error} busy={form.busy} label="Create user" busyLabel="Creating…" />
      </form>
    </section>
  );
}

/** Disable (revoking every token), enable again, or delete a user; each asks first. */
function UserActions({ user, onDone }: { user: User; onDone: () => void }) {
  const { client } = useSession();
  const path = `/api/users/${user.id}`;
  return (
    <span class="row-actions">
      {user.disabled ? (
        <RemoveButton
          label={`Enable ${user.name} (their old tokens stay revoked)`}
          text="Enable"
          onRemove={() => client.patch<void>(path, { disabled: false })}
          onDone={onDone}
        />
      ) : (
        <RemoveButton
          label={`Disable ${user.name} and revoke their tokens`}
          text="Disable"
          onRemove={() => client.patch<void>(path, { disabled: true })}
          onDone={onDone}
        />
      )}
      <RemoveButton label={`Delete ${user.name}`} onRemove={() => client.delete(path)} onDone={onDone} />
    </span>
  );
}
