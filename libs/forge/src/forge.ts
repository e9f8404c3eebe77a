/** A run's state as a commit status; each forge spells it in its own API's words. */
export type CommitState = 'pending' | 'success' | 'failure' | 'cancelled';

export interface CommitStatus {
  state: CommitState;
  /** Link to the run. */
  targetUrl: string;
  description: string;
  /** Names the status among others on the commit (`kiln/<pipeline>`). */
  context: string;
}

/** An HTTP request to a forge's API: the caller sends it (through the SSRF guard) as JSON. */
export interface ForgeRequest {
  url: string;
  headers: Record<string, string>;
  body: object;
}

/**
 * What Kiln asks of a code forge (GitHub, GitLab): one implementation a folder, picked by the
 * project's provider name. A provider without one gets no commit status (never another's API).
 */
export interface Forge {
  readonly name: string;
  /** The request that sets `status` on `sha` of `repoFullName`, for the API at `apiUrl`. */
  commitStatusRequest(apiUrl: string, repoFullName: string, sha: string, token: string, status: CommitStatus): ForgeRequest;
}
