import { AuditLog, Prisma, PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { Actor } from '../auth/actor';
import { afterNumericCursor, NEWEST_FIRST, Page, toPage } from '../common/pagination';
import { insertAuditRow } from './audit-rows';
import { AuditQuery } from './audit.dto';

export interface AuditEntry {
  /** `<noun>.<verb>`: `project.create`, `run.cancel`, `secret.delete`. */
  action: string;
  targetType: string;
  targetId?: string | null;
  projectId?: string | null;
  details?: Prisma.InputJsonValue;
}

/** One audit_log row per mutation: who (user, token), what, when, from where. */
@Injectable()
export class AuditService {
  constructor(private readonly prisma: PrismaService) {}

  async record(actor: Actor, entry: AuditEntry, tx: Prisma.TransactionClient = this.prisma): Promise<void> {
    await tx.auditLog.create({
      data: {
        actorId: actor.userId,
        tokenId: actor.tokenId,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId ?? null,
        projectId: entry.projectId ?? null,
        ip: actor.ip,
        userAgent: actor.userAgent,
        details: entry.details,
      },
    });
  }

  /** `record` on a pg client, in the transaction a mutation on the pool holds there. */
  async recordOn(client: PoolClient, actor: Actor, entry: AuditEntry, now = new Date()): Promise<void> {
    await insertAuditRow(client, actor, entry, now);
  }

  async list(query: AuditQuery, projectId?: string): Promise<Page<ReturnType<typeof presentAudit>>> {
    const limit = query.limit ?? 50;
    const rows = await this.prisma.auditLog.findMany({
      where: {
        ...afterNumericCursor(query.cursor),
        ...(projectId ? { projectId } : query.project_id ? { projectId: query.project_id } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.actor_id ? { actorId: query.actor_id } : {}),
      },
      orderBy: NEWEST_FIRST,
      take: limit + 1,
    });
    return toPage(rows, limit, presentAudit);
  }
}

export function presentAudit(row: AuditLog) {
  return {
    id: row.id.toString(),
    actor_id: row.actorId,
    token_id: row.tokenId,
    action: row.action,
    target_type: row.targetType,
    target_id: row.targetId,
    project_id: row.projectId,
    ip: row.ip,
    user_agent: row.userAgent,
    details: row.details,
    created_at: row.createdAt.toISOString(),
  };
}
