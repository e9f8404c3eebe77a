import { useState } from 'preact/hooks';
import { Artifact } from '@kiln/api-wire';
import { formatBytes } from '../format';
import { useSession } from '../session';
import { downloadWithToken } from './download';

/** A run's artifacts, each with a download button (files come through the token-bearing fetch). */
export function ArtifactsPanel({
  artifacts,
  projectId,
  runId,
  runEnded,
}: {
  artifacts: Artifact[] | undefined;
  projectId: string;
  runId: string;
  /** Once the run ended, the list is complete. */
  runEnded: boolean;
}) {
  const { client } = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const download = async (a: Artifact) => {
    setBusy(a.id);
    setError(null);
    try {
      const path = a.download_path ?? `/api/projects/${projectId}/runs/${runId}/artifacts/${a.id}/download`;
      await downloadWithToken(client, path, a.path.split('/').pop() || a.name);
    } catch (e) {
      setError(`Could not download ${a.path}: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="artifacts-title">
      <h2 id="artifacts-title">Artifacts</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!artifacts && <p class="loading">Loading artifacts…</p>}
      {artifacts && artifacts.length === 0 && (
        <p class="empty" data-testid="artifacts-empty">
          {runEnded
            ? 'This run stored no artifacts.'
            : 'No artifacts yet: each step stores the files its definition names as artifacts when it finishes.'}
        </p>
      )}
      {artifacts && artifacts.length > 0 && (
        <table>
          <caption class="visually-hidden">Artifacts of this run</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">File</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="visually-hidden">Download</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {artifacts.map((a) => (
              <tr key={a.id}>
                <th scope="row">{a.name}</th>
                <td class="mono">{a.path}</td>
                <td class="num">{formatBytes(a.size_bytes)}</td>
                <td>{a.expires_at ? a.expires_at.slice(0, 10) : 'never'}</td>
                <td>
                  <button
                    type="button"
                    class="secondary small"
                    disabled={busy === a.id}
                    onClick={() => download(a)}
                    aria-label={`Download ${a.path}`}
                  >
                    {busy === a.id ? 'Downloading…' : 'Download'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
