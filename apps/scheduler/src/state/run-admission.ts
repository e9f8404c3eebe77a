import { Prisma } from '@kiln/db';

type Tx = Prisma.TransactionClient;

/** Lock id serialising admissions, so replicas never exceed a limit together. */
const ADMISSION_LOCK = 72707370;

/**
 * Whether a queued run may start now under the global limit (`maxActive`, 0 = none) and
 * its project's `concurrency_limit`. Older queued runs go first.
 */
export async function mayStart(tx: Tx, run: { id: string; projectId: string; createdAt: Date }, maxActive: number) {
  const project = await tx.project.findUniqueOrThrow({ where: { id: run.projectId }, select: { concurrencyLimit: true } });
  if (!maxActive && !project.concurrencyLimit) return true;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMISSION_LOCK})`;
  if (maxActive) {
    const active = await tx.run.count({ where: { status: 'running' } });
    const ahead = await tx.run.count({ where: { status: 'queued', createdAt: { lt: run.createdAt } } });
    if (active + ahead >= maxActive) return false;
  }
  if (project.concurrencyLimit) {
    const where = { projectId: run.projectId };
    const active = await tx.run.count({ where: { ...where, status: 'running' } });
    const ahead = await tx.run.count({ where: { ...where, status: 'queued', createdAt: { lt: run.createdAt } } });
    if (active + ahead >= project.concurrencyLimit) return false;
  }
  return true;
}
