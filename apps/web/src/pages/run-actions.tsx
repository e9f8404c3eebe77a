import { useState } from 'preact/hooks';
import { isTerminal, Role, Run, Step } from '@kiln/api-wire';
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

/**
 * Once the run ended, a writer can run the shown step and the steps depending on it again: a new
 * run of the same commit that reuses the other steps that succeeded.
 */
export function RerunStep({ run, step, projectId, role }: { run: Run; step: Step; projectId: string; role: Role | undefined }) {
  const { client } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!isTerminal(run.status) || (role !== 'write' && role !== 'admin')) return null;

  const rerun = async () => {
    setBusy(true);
    setError(null);
    try {
      const next = await client.post<Run>(`/api/projects/${projectId}/runs/${run.id}/steps/${step.id}/rerun`, {});
      location.hash = href({ page: 'run', projectId, runId: next.id });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="actions">
      <button
        type="button"
        class="secondary"
        disabled={busy}
        title={`Run ${step.name} and the steps after it again in a new run, reusing the other steps`}
        onClick={rerun}
      >
        {busy ? 'Starting…' : 'Rerun'}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
