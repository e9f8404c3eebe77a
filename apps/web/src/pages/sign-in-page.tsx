import { useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../api/api-client';
import { Me } from '@kiln/api-wire';
import { useTitle } from '../hooks';

export function SignInPage({
  notice,
  onSignIn,
}: {
  notice?: string;
  onSignIn: (token: string, me: Me) => void;
}) {
  useTitle('Sign in');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) return setError('Paste an API token first.');
    setBusy(true);
    setError(null);
    try {
      onSignIn(value, await new ApiClient(value).get<Me>('/api/me'));
    } catch (e) {
      const err = e as ApiError;
      setError(
        err.unauthenticated ? 'The server does not accept this token. Check it and try again.' : err.message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <h1>Sign in to Kiln</h1>
        <p id="sign-in-help">
          Use an API token: the one Kiln printed when it started, or one made with{' '}
          <code>POST /api/tokens</code>.
        </p>
        {notice && !error && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-invalid={error ? true : undefined}
          aria-errormessage={error ? 'sign-in-error' : undefined}
        />
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
