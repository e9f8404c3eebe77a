import type { PrismaClient } from '@kiln/db';
import { randomUUID } from 'node:crypto';

/** The rows a run needs, inserted directly: a project, its pipeline and one manual run. */
export async function createRunRows(
  prisma: PrismaClient,
  status: 'queued' | 'running' = 'queued',
): Promise<{ projectId: string; runId: string }> {
  const project = await prisma.project.create({
    data: { name: `p-${randomUUID().slice(0, 8)}`, repoUrl: 'https://example.com/repo.git', provider: 'git' },
  });
  const pipeline = await prisma.pipeline.create({ data: { projectId: project.id, name: 'ci' } });
  const run = await prisma.run.create({
    data: {
      id: randomUUID(),
      projectId: project.id,
      pipelineId: pipeline.id,
      number: 1,
      trigger: 'manual',
      triggeredBy: 'tester',
      event: 'manual',
      gitRef: 'main',
      status,
    },
  });
  return { projectId: project.id, runId: run.id };
}
