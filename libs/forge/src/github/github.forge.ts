import { CommitState, Forge } from '../forge';

// GitHub has no cancelled state; "error" closes the status without calling the build failed.
const STATE: Record<CommitState, string> = { pending: 'pending', success: 'success', failure: 'failure', cancelled: 'error' };

export const githubForge: Forge = {
  name: 'github',
  commitStatusRequest: (apiUrl, repoFullName, sha, token, status) => ({
    url: `${apiUrl}/repos/${repoFullName}/statuses/${sha}`,
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
    body: { state: STATE[status.state], target_url: status.targetUrl, description: status.description, context: status.context },
  }),
};
