import { useState } from 'preact/hooks';
import { Page, Runner } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { formatAgo } from '../format';
import { useNow, usePoll, useTitle } from '../hooks';
import { useSession } from '../session';

export function RunnersPage() {
  useTitle('Runners');
  const { client } = useSession();
  const [all, setAll] = useState(false);
  const now = useNow(5000);
  const runners = usePoll(
    () => client.get<Page<Runner>>('/api/runners', { all: all || undefined }),
    [client, all],
    () => 5000,
  );
  const items = runners.data?.items ?? [];

  return (
    <section aria-labelledby="runners-title">
      <div class="page-head">
        <h1 id="runners-title">Runners</h1>
        <label class="inline">
          <input
            type="checkbox"
            checked={all}
            onChange={(e) => setAll((e.target as HTMLInputElement).checked)}
          />{' '}
          Include offline runners
        </label>
      </div>
      <LoadState error={runners.error} loading={!runners.data} what="runners" />
      {runners.data && items.length === 0 && (
        <p class="empty">No runner has reported in. Start a pod-executor.</p>
      )}
      {items.length > 0 && (
        <table>
          <caption class="visually-hidden">Executors and their load</caption>
          <thead>
            <tr>
              <th scope="col">Runner</th>
              <th scope="col">State</th>
              <th scope="col">Backend</th>
              <th scope="col">Host</th>
              <th scope="col" class="num">
                Running
              </th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id}>
                <th scope="row" class="mono">
                  {r.id}
                </th>
                <td>
                  <span class={`badge ${r.online === false ? 'status-cancelled' : 'status-succeeded'}`}>
                    {r.online === false ? 'offline' : 'online'}
                  </span>
                </td>
                <td>{r.backend}</td>
                <td>{r.hostname ?? '–'}</td>
                <td class="num">
                  <meter
                    min={0}
                    max={r.capacity || 1}
                    value={r.running}
                    aria-label={`${r.running} of ${r.capacity} slots busy`}
                  />{' '}
                  {r.running}/{r.capacity}
                </td>
                <td>{formatAgo(r.last_heartbeat_at, now)}</td>
                <td>{r.version ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
