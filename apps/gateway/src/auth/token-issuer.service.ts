import { generateApiToken, hashToken } from '@kiln/crypto';
import { Prisma, PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Scope } from './actor';

export interface NewToken {
  userId: string;
  name: string;
  scopes: Scope[];
  expiresAt?: Date | null;
  /** A token chosen by the operator (KILN_ADMIN_TOKEN) instead of a generated one. */
  value?: string;
}

/** The token's value (generated unless given) and what is stored of it: a short prefix and the hash. */
export function tokenSecret(value: string = generateApiToken()) {
  return { token: value, prefix: value.slice(0, 12), tokenHash: hashToken(value) };
}

/** Creates API tokens: only the hash and a short prefix are stored; the value is returned once. */
@Injectable()
export class TokenIssuer {
  constructor(private readonly prisma: PrismaService) {}

  async issue(spec: NewToken, tx: Prisma.TransactionClient = this.prisma) {
    const { token, prefix, tokenHash } = tokenSecret(spec.value);
    const row = await tx.apiToken.create({
      data: {
        userId: spec.userId,
        name: spec.name,
        prefix,
        tokenHash,
        scopes: spec.scopes,
        expiresAt: spec.expiresAt ?? null,
      },
    });
    return { token, row };
  }
}
