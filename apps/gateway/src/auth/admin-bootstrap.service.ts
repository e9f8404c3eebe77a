import { inPoolTransaction, PrismaService } from '@kiln/db';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PoolClient } from 'pg';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { SCOPES } from './actor';
import { tokenSecret } from './token-issuer.service';

// Replicas starting together serialise on this lock, so exactly one creates the admin.
const BOOTSTRAP_LOCK_KEY = 72707371;
const ENV_TOKEN_NAME = 'KILN_ADMIN_TOKEN';

// Hand-written statements through the pg pool: through Prisma, every gateway would load its
// WebAssembly query compiler at start for these few queries. Run once, so not prepared by name.
// `timestamp(3)` columns hold UTC.
const LOCK = 'SELECT pg_advisory_xact_lock($1)';
const FIRST_ADMIN = 'SELECT id FROM users WHERE is_admin ORDER BY created_at, id LIMIT 1';
const CREATE_ADMIN = `INSERT INTO users (id, name, email, is_admin, created_at)
  VALUES ($1::uuid, 'admin', 'admin@kiln.local', true, $2::timestamptz AT TIME ZONE 'UTC')`;
const TOKEN_KNOWN = 'SELECT 1 FROM api_tokens WHERE token_hash = $1';
// A changed KILN_ADMIN_TOKEN replaces the previous one instead of adding a second key.
const REVOKE_ENV_TOKENS = `UPDATE api_tokens SET revoked_at = $3::timestamptz AT TIME ZONE 'UTC'
  WHERE user_id = $1::uuid AND name = $2 AND revoked_at IS NULL`;
const CREATE_TOKEN = `INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, scopes, created_at)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::text[], $7::timestamptz AT TIME ZONE 'UTC')`;

/**
 * First start: creates the `admin` user. Its token is KILN_ADMIN_TOKEN (registered as a hash)
 * or, when unset, a generated one printed once on stdout for the operator.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    private readonly prisma: PrismaService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const printed = await inPoolTransaction(this.prisma.pool, async (client) => {
      await client.query('BEGIN');
      return bootstrap(client, this.config.KILN_ADMIN_TOKEN);
    });
    if (printed) {
      this.logger.warn('generated the bootstrap admin token; it is printed once on stdout, store it now');
      // A plain line, not a log record: the operator must see it once, and no structured log field holds it.
      process.stdout.write(`Admin token: ${printed}\n`);
    }
  }
}

/**
 * In a transaction that holds the bootstrap lock: the first admin (created when there is none)
 * gets the given token unless it is known already; the generated token of a new admin is
 * answered, to be printed.
 */
async function bootstrap(client: PoolClient, given: string | undefined): Promise<string | null> {
  await client.query(LOCK, [BOOTSTRAP_LOCK_KEY]);
  const now = new Date().toISOString();
  const { rows } = await client.query<{ id: string }>(FIRST_ADMIN);
  const created = rows.length === 0;
  const adminId = rows[0]?.id ?? randomUUID();
  if (created) await client.query(CREATE_ADMIN, [adminId, now]);
  if (given) {
    const secret = tokenSecret(given);
    const known = await client.query(TOKEN_KNOWN, [secret.tokenHash]);
    if (known.rows.length === 0) {
      await client.query(REVOKE_ENV_TOKENS, [adminId, ENV_TOKEN_NAME, now]);
      await createToken(client, adminId, ENV_TOKEN_NAME, secret, now);
    }
    return null;
  }
  if (!created) return null;
  const secret = tokenSecret();
  await createToken(client, adminId, 'bootstrap', secret, now);
  return secret.token;
}

/** An admin token with every scope, as TokenIssuer would create it. */
async function createToken(
  client: PoolClient,
  userId: string,
  name: string,
  { prefix, tokenHash }: ReturnType<typeof tokenSecret>,
  now: string,
): Promise<void> {
  await client.query(CREATE_TOKEN, [randomUUID(), userId, name, prefix, tokenHash, [...SCOPES], now]);
}
