import { countRuns, Prisma } from '@kiln/db';
import { admits, competition, hasLimits } from '@kiln/engine';

type Tx = Prisma.TransactionClient;

/** Lock id serialising admissions, so replicas never exceed a limit together. */
const ADMISSION_LOCK = 72707370;

/**
 * Whether a queued run may start now under the global limit (`maxActive`, 0 = none) and
 * its project's `concurrency_limit` (the rule is `admits` in @kiln/engine).
 */
export async function mayStart(tx: Tx, run: { id: string; projectId: string; createdAt: Date }, maxActive: number) {
  const project = await tx.project.findUniqueOrThrow({ where: { id: run.projectId }, select: { concurrencyLimit: true } });
  const limits = { maxActive, projectLimit: project.concurrencyLimit };
  if (!hasLimits(limits)) return true;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMISSION_LOCK})`;
  return admits(limits, await competition(countRuns(tx), run, limits));
}
