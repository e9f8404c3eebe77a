/**
 * The web UI's page of a run. The UI routes by the URL hash (the gateway serves one index.html for
 * every path), so the run's address must be in the hash, not the path.
 */
export function runLink(publicUrl: string, projectId: string, runId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/projects/${encodeURIComponent(projectId)}/runs/${encodeURIComponent(runId)}`;
}
