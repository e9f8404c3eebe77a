import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { ApiClient } from './api/api-client';
import { Me } from '@kiln/api-wire';

const TOKEN_KEY = 'kiln.token';

export interface Session {
  client: ApiClient;
  me: Me;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** The token survives reloads in this browser until the user signs out (or it is refused). */
export const tokenStore = {
  read(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      // Storage disabled (private mode, policy): the user signs in again each visit.
      return null;
    }
  },
  write(token: string | null): void {
    try {
      if (token) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch {
      // Storage disabled: the token lives only as long as the page.
    }
  },
};
