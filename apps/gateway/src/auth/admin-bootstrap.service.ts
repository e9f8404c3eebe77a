import { hashToken } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { SCOPES } from './actor';
import { TokenIssuer } from './token-issuer.service';

// Replicas starting together serialise on this lock, so exactly one creates the admin.
const BOOTSTRAP_LOCK_KEY = 72707371;
const ENV_TOKEN_NAME = 'KILN_ADMIN_TOKEN';

/**
 * First start: creates the `admin` user. Its token is KILN_ADMIN_TOKEN (registered as a hash)
 * or, when unset, a generated one printed once on stdout for the operator.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly tokens: TokenIssuer,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const given = this.config.KILN_ADMIN_TOKEN;
    const printed = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`;
      let admin = await tx.user.findFirst({ where: { isAdmin: true }, orderBy: { createdAt: 'asc' } });
      const created = !admin;
      admin ??= await tx.user.create({ data: { name: 'admin', email: 'admin@kiln.local', isAdmin: true } });
      if (given) {
        const known = await tx.apiToken.findUnique({ where: { tokenHash: hashToken(given) } });
        if (!known) {
          // A changed KILN_ADMIN_TOKEN replaces the previous one instead of adding a second key.
          await tx.apiToken.updateMany({
            where: { userId: admin.id, name: ENV_TOKEN_NAME, revokedAt: null },
            data: { revokedAt: new Date() },
          });
          await this.tokens.issue(
            { userId: admin.id, name: ENV_TOKEN_NAME, scopes: [...SCOPES], value: given },
            tx,
          );
        }
        return null;
      }
      if (!created) return null;
      const { token } = await this.tokens.issue(
        { userId: admin.id, name: 'bootstrap', scopes: [...SCOPES] },
        tx,
      );
      return token;
    });
    if (printed) {
      this.logger.warn('generated the bootstrap admin token; it is printed once on stdout, store it now');
      // A plain line, not a log record: the operator must see it once, and no structured log field holds it.
      process.stdout.write(`Admin token: ${printed}\n`);
    }
  }
}
