import { PoolClient } from 'pg';
import { Actor } from '../auth/actor';
import type { AuditEntry } from './audit.service';

/**
 * One audit_log row through a pg client, for mutations that run on the pool in a transaction of
 * their own (project creation): as AuditService.record writes it through Prisma, `details` absent
 * being SQL NULL. `created_at` is `timestamp(3)` holding UTC, written from an ISO string.
 */
const INSERT_AUDIT = {
  name: 'kiln-audit-insert',
  text: `INSERT INTO audit_log (actor_id, token_id, action, target_type, target_id, project_id, ip, user_agent, details, created_at)
    VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::uuid, $7::text, $8::text, $9::jsonb, $10::timestamptz AT TIME ZONE 'UTC')`,
};

export async function insertAuditRow(client: PoolClient, actor: Actor, entry: AuditEntry, now: Date): Promise<void> {
  const values = [
    actor.userId, actor.tokenId, entry.action, entry.targetType, entry.targetId ?? null, entry.projectId ?? null,
    actor.ip, actor.userAgent, entry.details === undefined ? null : JSON.stringify(entry.details), now.toISOString(),
  ];
  await client.query({ ...INSERT_AUDIT, values });
}
