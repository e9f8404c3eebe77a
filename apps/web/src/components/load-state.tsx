import { ApiError } from '../api/api-client';

/** What a list shows while loading or after a failed load (kept small and announced). */
export function LoadState({ error, loading, what }: { error: Error | null; loading: boolean; what: string }) {
  if (error) {
    const status = error instanceof ApiError && error.status ? ` (${error.status})` : '';
    return (
      <p class="error" role="alert">
        Could not load {what}
        {status}: {error.message}
      </p>
    );
  }
  if (loading) {
    return (
      <p class="loading" role="status">
        Loading {what}…
      </p>
    );
  }
  return null;
}
