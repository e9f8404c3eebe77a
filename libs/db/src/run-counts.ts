import { Prisma, RunStatus } from './generated/client';

/**
 * Counts runs by status, project and age: what run admission (`competition` in @kiln/engine)
 * asks of the database, for the scheduler's transaction and the gateway's reads alike.
 */
export function countRuns(client: Pick<Prisma.TransactionClient, 'run'>) {
  return (filter: { status: RunStatus; projectId?: string; createdBefore?: Date }): Promise<number> =>
    client.run.count({
      where: {
        status: filter.status,
        ...(filter.projectId ? { projectId: filter.projectId } : {}),
        ...(filter.createdBefore ? { createdAt: { lt: filter.createdBefore } } : {}),
      },
    });
}
