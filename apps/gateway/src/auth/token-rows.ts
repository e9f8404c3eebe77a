import { Pool } from 'pg';

/**
 * What authentication reads and writes of a token, as hand-written statements through the pg
 * pool: Prisma would load its WebAssembly query compiler for the first request and compile each
 * call again (a spec compares these reads with Prisma's). Columns are `timestamp(3)` holding UTC:
 * read `AT TIME ZONE 'UTC'` (a `timestamptz`, the right Date whatever the session's zone) and
 * written from an ISO string the same way.
 */
export interface PresentedToken {
  id: string;
  userId: string;
  scopes: string[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: { name: string; isAdmin: boolean; disabledAt: Date | null };
}

type TokenRow = Omit<PresentedToken, 'user'> & {
  userName: string;
  userIsAdmin: boolean;
  userDisabledAt: Date | null;
};

const TOKEN_BY_HASH = {
  name: 'kiln-auth-token-by-hash',
  text: `SELECT t.id, t.user_id AS "userId",
      coalesce(t.scopes, '{}') AS "scopes",
      t.expires_at AT TIME ZONE 'UTC' AS "expiresAt",
      t.last_used_at AT TIME ZONE 'UTC' AS "lastUsedAt",
      t.revoked_at AT TIME ZONE 'UTC' AS "revokedAt",
      u.name AS "userName", u.is_admin AS "userIsAdmin",
      u.disabled_at AT TIME ZONE 'UTC' AS "userDisabledAt"
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = $1`,
};

// Conditional, so concurrent requests of one token write once.
const STAMP_LAST_USED = {
  name: 'kiln-auth-stamp-last-used',
  text: `UPDATE api_tokens SET last_used_at = $2::timestamptz AT TIME ZONE 'UTC'
    WHERE id = $1::uuid AND (last_used_at IS NULL OR last_used_at < $3::timestamptz AT TIME ZONE 'UTC')`,
};

/** The token whose hash is `tokenHash`, with what authentication needs of its user; null: none. */
export async function tokenByHash(pool: Pool, tokenHash: string): Promise<PresentedToken | null> {
  const { rows } = await pool.query<TokenRow>({ ...TOKEN_BY_HASH, values: [tokenHash] });
  if (!rows[0]) return null;
  const { userName, userIsAdmin, userDisabledAt, ...token } = rows[0];
  return { ...token, user: { name: userName, isAdmin: userIsAdmin, disabledAt: userDisabledAt } };
}

/** Sets the token's last use to `now` when none is recorded or it is before `staleBefore`; answers whether it wrote. */
export async function stampLastUsed(
  pool: Pool,
  tokenId: string,
  now: Date,
  staleBefore: Date,
): Promise<boolean> {
  const { rowCount } = await pool.query({
    ...STAMP_LAST_USED,
    values: [tokenId, now.toISOString(), staleBefore.toISOString()],
  });
  return rowCount === 1;
}
