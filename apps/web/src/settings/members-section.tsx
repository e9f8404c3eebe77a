import { useState } from 'preact/hooks';
import { Member, Page, Role, ROLES, User } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { Field, FormFooter, described } from '../forms/field';
import { useForm } from '../forms/use-form';
import { usePoll } from '../hooks';
import { useSession } from '../session';
import { RemoveButton } from './remove-button';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who may see and change the project: roles read, write, admin. */
export function MembersSection({ projectId, admin }: { projectId: string; admin: boolean }) {
  const { client, me } = useSession();
  const base = `/api/projects/${projectId}/members`;
  const members = usePoll(
    () => client.get<Page<Member>>(base),
    [client, base],
    () => null,
  );
  // Only platform admins may list users; others add a member by the id the user gives them.
  const users = usePoll(
    () => (me.is_admin ? client.all<User>('/api/users') : Promise.resolve(null)),
    [client, me.is_admin],
    () => null,
  );
  const [roleError, setRoleError] = useState<string | null>(null);
  const form = useForm<'user_id' | 'role'>('member', { user_id: '', role: 'read' });
  const submit = form.submit(
    (v) => (UUID.test(v.user_id) ? {} : { user_id: users.data ? 'choose a user' : 'user_id must be a UUID' }),
    async (v) => {
      await client.post(base, { user_id: v.user_id, role: v.role });
      form.reset();
      members.reload();
    },
  );
  const changeRole = async (userId: string, role: Role) => {
    setRoleError(null);
    try {
      await client.patch(`${base}/${userId}`, { role });
      members.reload();
    } catch (e) {
      setRoleError((e as Error).message);
    }
  };
  const memberIds = new Set(members.data?.items.map((m) => m.user_id));
  const candidates = (users.data ?? []).filter((u) => !memberIds.has(u.id));

  return (
    <section aria-labelledby="members-title" class="panel">
      <h2 id="members-title">Members</h2>
      <LoadState error={members.error} loading={!members.data} what="members" />
      {!!members.data?.items.length && (
        <table>
          <caption class="visually-hidden">Members and their roles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.data.items.map((m) => (
              <tr key={m.user_id}>
                <th scope="row">{m.name}</th>
                <td>{m.email}</td>
                <td>
                  {admin ? (
                    <select
                      aria-label={`Role of ${m.name}`}
                      value={m.role}
                      onChange={(e) => changeRole(m.user_id, (e.target as HTMLSelectElement).value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td>
                  {admin && (
                    <RemoveButton
                      label={`Remove ${m.name} from the project`}
                      text="Remove"
                      onRemove={() => client.delete(`${base}/${m.user_id}`)}
                      onDone={members.reload}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {roleError && (
        <p class="error" role="alert">
          {roleError}
        </p>
      )}
      {admin && (
        <form class="form inline-form" onSubmit={submit} noValidate aria-label="Add a member">
          <Field
            id="member-user_id"
            label={users.data ? 'User' : 'User id'}
            problem={form.problems.user_id}
            hint={users.data ? undefined : 'The id the user sees with kiln login or GET /api/me.'}
          >
            {users.data ? (
              <select
                {...described('member-user_id', false, form.problems.user_id)}
                value={form.values.user_id}
                onChange={form.set('user_id')}
              >
                <option value="">Choose a user…</option>
                {candidates.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name} ({u.email})
                  </option>
                ))}
              </select>
            ) : (
              <input
                {...described('member-user_id', true, form.problems.user_id)}
                value={form.values.user_id}
                onInput={form.set('user_id')}
                spellcheck={false}
              />
            )}
          </Field>
          <Field id="member-role" label="Role">
            <select id="member-role" value={form.values.role} onChange={form.set('role')}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
          <FormFooter error={form.error} busy={form.busy} label="Add member" busyLabel="Adding…" />
        </form>
      )}
    </section>
  );
}
