import { useState } from 'preact/hooks';
import { isTerminal, Run } from '../api/wire';
import { href } from '../routes';
import { useSession } from '../session';

/** Cancel while the run goes on; retry (all steps, or the failed ones) once it ended. */
export function RunActions({ run, projectId }: { run: Run; projectId: string }) {
  const { client } = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const path = `/api/projects/${projectId}/runs/${run.id}`;

  const act = async (name: string, action: () => Promise<void>) => {
    setBusy(name);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const retry = (failedOnly: boolean) =>
    act(failedOnly ? 'retry-failed' : 'retry', async () => {
      const next = await client.post<Run>(`${path}/retry`, { failed_only: failedOnly });
      location.hash = href({ page: 'run', projectId, runId: next.id });
    });

  return (
    <div class="actions">
      {!isTerminal(run.status) && (
        <button
          type="button"
          class="danger"
          disabled={busy !== null}
          onClick={() => act('cancel', () => client.post(`${path}/cancel`))}
        >
          {busy === 'cancel' ? 'Cancelling…' : 'Cancel run'}
        </button>
      )}
      {isTerminal(run.status) && (
        <button type="button" disabled={busy !== null} onClick={() => retry(false)}>
          {busy === 'retry' ? 'Retrying…' : 'Retry'}
        </button>
      )}
      {isTerminal(run.status) &&
        run.status !== 'succeeded' &&
        (run.steps ?? []).some((s) => s.started_at) && (
          <button type="button" class="secondary" disabled={busy !== null} onClick={() => retry(true)}>
            {busy === 'retry-failed' ? 'Retrying…' : 'Retry failed steps'}
          </button>
        )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
