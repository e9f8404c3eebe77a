import { createPrismaClient } from './prisma-client.factory';
import { PrismaClient } from './generated/client';
import { migrate } from './migrator';
import { createScratchDatabase, ScratchDatabase } from './scratch-database.spec-helper';

describe('createPrismaClient', () => {
  let db: ScratchDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createScratchDatabase();
    await migrate(db.url);
    prisma = createPrismaClient(db.url, { poolMax: 2 });
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('writes and reads back a user, project, pipeline, run and step', async () => {
    const user = await prisma.user.create({ data: { name: 'Ada', email: 'ada@example.com' } });
    const project = await prisma.project.create({
      data: {
        name: 'kiln',
        repoUrl: 'https://github.com/example/kiln.git',
        provider: 'github',
        createdById: user.id,
        members: { create: { userId: user.id, role: 'admin' } },
        pipelines: { create: { name: 'ci' } },
      },
      include: { pipelines: true },
    });
    await prisma.run.create({
      data: {
        id: '0c4d3f3e-8d1a-4a53-9a55-6f0d4f2b1a11',
        projectId: project.id,
        pipelineId: project.pipelines[0].id,
        number: 1,
        trigger: 'manual',
        triggeredBy: user.id,
        event: 'manual',
        gitRef: 'refs/heads/main',
        definition: { steps: [{ name: 'test' }] },
        steps: {
          create: {
            name: 'test',
            position: 0,
            image: 'node:20',
            commands: ['npm ci', 'npm test'],
            dependsOn: [],
            logBytes: 5_000_000_000n,
          },
        },
      },
    });

    const run = await prisma.run.findUniqueOrThrow({
      where: { projectId_number: { projectId: project.id, number: 1 } },
      include: { steps: true, project: { include: { members: true } } },
    });
    expect(run).toMatchObject({
      status: 'queued',
      definition: { steps: [{ name: 'test' }] },
      project: { defaultBranch: 'main', members: [{ userId: user.id, role: 'admin' }] },
      steps: [
        { name: 'test', status: 'pending', commands: ['npm ci', 'npm test'], logBytes: 5_000_000_000n },
      ],
    });
    expect(run.createdAt).toBeInstanceOf(Date);
  });
});
