import { useState } from 'preact/hooks';
import { OutboundWebhook, Page, WEBHOOK_EVENTS } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { ShownOnce } from '../components/shown-once';
import { FormFooter, TextField } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { formatAgo } from '../format';
import { usePoll } from '../hooks';
import { useSession } from '../session';
import { RemoveButton } from './remove-button';

/** Outbound webhooks: URLs Kiln calls, HMAC-signed, when a run succeeds or fails. */
export function WebhooksSection({ projectId, admin }: { projectId: string; admin: boolean }) {
  const { client } = useSession();
  const base = `/api/projects/${projectId}/webhooks`;
  const hooks = usePoll(
    () => client.get<Page<OutboundWebhook>>(base),
    [client, base],
    () => null,
  );
  const [secret, setSecret] = useState<string | null>(null);
  const [events, setEvents] = useState<string[]>([...WEBHOOK_EVENTS]);
  const form = useForm<'url' | 'secret' | 'events'>('webhook', { url: '', secret: '', events: '' });
  const submit = form.submit(
    (v) => ({
      ...check(v, { url: rules.httpUrl, secret: rules.length('secret', 8, 256) }, ['secret']),
      ...(events.length ? {} : { events: 'choose at least one event' }),
    }),
    async (v) => {
      const created = await client.post<OutboundWebhook>(base, {
        url: v.url,
        events,
        ...(v.secret ? { secret: v.secret } : {}),
      });
      setSecret(created.secret ?? null);
      form.reset();
      hooks.reload();
    },
  );
  const toggle = (event: string, on: boolean) =>
    setEvents((list) => (on ? [...list, event] : list.filter((e) => e !== event)));

  return (
    <section aria-labelledby="webhooks-title" class="panel">
      <h2 id="webhooks-title">Outbound webhooks</h2>
      <LoadState error={hooks.error} loading={!hooks.data} what="webhooks" />
      {hooks.data?.items.length === 0 && (
        <p class="empty">No outbound webhooks: nothing is called when runs end.</p>
      )}
      {!!hooks.data?.items.length && (
        <ul class="rows" aria-label="Outbound webhooks">
          {hooks.data.items.map((h) => (
            <li key={h.id}>
              <code>{h.url}</code> <span class="muted">{h.events.join(', ')}</span>
              {!h.active && <span class="muted"> (paused)</span>}
              <span class="muted">
                {' '}
                · last call{' '}
                {h.last_sent_at
                  ? `${formatAgo(h.last_sent_at)}: ${h.last_status_code ?? h.last_error}`
                  : 'never'}
              </span>
              {admin && (
                <RemoveButton
                  label={`Delete the webhook to ${h.url}`}
                  onRemove={() => client.delete(`${base}/${h.id}`)}
                  onDone={hooks.reload}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {secret && <ShownOnce label="Signing secret" value={secret} id="outbound-webhook-secret" />}
      {admin && (
        <form class="form inline-form" onSubmit={submit} noValidate aria-label="Add an outbound webhook">
          <TextField
            id="webhook-url"
            label="URL"
            value={form.values.url}
            onInput={form.set('url')}
            problem={form.problems.url}
            placeholder="https://"
          />
          <fieldset
            class="choices"
            aria-describedby={form.problems.events ? 'webhook-events-problem' : undefined}
          >
            <legend>Events</legend>
            {WEBHOOK_EVENTS.map((e) => (
              <label key={e} class="inline">
                <input
                  type="checkbox"
                  checked={events.includes(e)}
                  onChange={(ev) => toggle(e, (ev.target as HTMLInputElement).checked)}
                />
                {e}
              </label>
            ))}
            {form.problems.events && (
              <p id="webhook-events-problem" class="field-problem">
                {form.problems.events}
              </p>
            )}
          </fieldset>
          <TextField
            id="webhook-secret"
            label="Signing secret (optional)"
            type="password"
            autoComplete="new-password"
            value={form.values.secret}
            onInput={form.set('secret')}
            problem={form.problems.secret}
            hint="Generated and shown once when empty."
          />
          <FormFooter error={form.error} busy={form.busy} label="Add webhook" busyLabel="Adding…" />
        </form>
      )}
    </section>
  );
}
