import { PrismaService } from '@kiln/db';
import { RunWithSteps } from './run.presenter';

const DECISIONS = ['step.approve', 'step.reject'];

/** Who approved or rejected an approval step, as the run page shows it. */
export interface ApprovalDecisionJson {
  step_id: string;
  approved: boolean;
  by: string;
  comment: string | null;
  at: string;
}

/**
 * The decisions taken on a run's approval steps, read from the audit log the approve and reject
 * endpoints write (the step row keeps only the outcome). Only steps that ended are listed: a
 * decision the scheduler has not applied yet is not shown as taken.
 */
export async function approvalDecisions(prisma: PrismaService, run: RunWithSteps): Promise<ApprovalDecisionJson[]> {
  const decided = run.steps.filter((s) => s.finishedAt).map((s) => s.id);
  if (!decided.length) return [];
  const rows = await prisma.auditLog.findMany({
    where: { projectId: run.projectId, targetType: 'step', targetId: { in: decided }, action: { in: DECISIONS } },
    orderBy: { createdAt: 'asc' },
  });
  const actorIds = [...new Set(rows.map((r) => r.actorId).filter((id): id is string => id !== null))];
  const users = await prisma.user.findMany({ where: { id: { in: actorIds } }, select: { id: true, name: true } });
  const names = new Map(users.map((u) => [u.id, u.name]));
  return rows.map((r) => ({
    step_id: r.targetId as string,
    approved: r.action === 'step.approve',
    by: (r.actorId && names.get(r.actorId)) || 'a deleted user',
    comment: commentOf(r.details),
    at: r.createdAt.toISOString(),
  }));
}

function commentOf(details: unknown): string | null {
  const comment = (details as { comment?: unknown } | null)?.comment;
  return typeof comment === 'string' ? comment : null;
}
