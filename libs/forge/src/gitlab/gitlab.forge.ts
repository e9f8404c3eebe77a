import { CommitState, Forge } from '../forge';

const STATE: Record<CommitState, string> = { pending: 'pending', success: 'success', failure: 'failed', cancelled: 'canceled' };

export const gitlabForge: Forge = {
  name: 'gitlab',
  // GitLab names a project by its URL-encoded path (`group%2Fproject`).
  commitStatusRequest: (apiUrl, repoFullName, sha, token, status) => ({
    url: `${apiUrl}/projects/${encodeURIComponent(repoFullName)}/statuses/${sha}`,
    headers: { 'private-token': token },
    body: { state: STATE[status.state], target_url: status.targetUrl, description: status.description, name: status.context },
  }),
};
