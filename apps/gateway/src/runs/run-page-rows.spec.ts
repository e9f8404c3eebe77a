import { Prisma, PrismaService, RunStatus, TriggerType } from '@kiln/db';
import { createTestDatabase, TestDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { afterCursor, encodeCursor, NEWEST_FIRST } from '../common/pagination';
import { STEPS_IN_ORDER } from './run.presenter';
import { runPage, RunScope } from './run-page-rows';
import { AllRunsQuery } from './runs.dto';

/** The listing as Prisma answered it before runPage: the reference runPage must match exactly. */
function prismaPage(prisma: PrismaService, scope: RunScope, query: AllRunsQuery, limit: number) {
  const and: Prisma.RunWhereInput[] = [];
  if ('projectId' in scope) and.push({ projectId: scope.projectId });
  else if (scope.projectIds) and.push({ projectId: { in: scope.projectIds } });
  if (query.project_id) and.push({ projectId: query.project_id });
  if (query.status) and.push({ status: { in: query.status as RunStatus[] } });
  if (query.trigger) and.push({ trigger: { in: query.trigger as TriggerType[] } });
  if (query.branch) and.push({ branch: query.branch });
  if (query.ref) and.push({ OR: [{ gitRef: query.ref }, { branch: query.ref }, { tag: query.ref }] });
  if (query.pipeline_id) and.push({ pipelineId: query.pipeline_id });
  if (query.pipeline) and.push({ pipeline: { name: query.pipeline } });
  if (query.created_from) and.push({ createdAt: { gte: new Date(query.created_from) } });
  if (query.created_to) and.push({ createdAt: { lt: new Date(query.created_to) } });
  and.push(afterCursor(query.cursor));
  return prisma.run.findMany({
    where: { AND: and },
    include: STEPS_IN_ORDER,
    orderBy: NEWEST_FIRST,
    take: limit + 1,
  });
}

describe('run listings on pg (real PostgreSQL)', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  const projects: string[] = [];
  const pipelines: string[] = [];
  const base = Date.UTC(2026, 11, 1, 12, 0, 0, 123);

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url });
    for (const name of ['shop', 'blog']) {
      const project = await prisma.project.create({
        data: { id: randomUUID(), name, repoUrl: `https://example.com/${name}.git`, provider: 'git' },
      });
      projects.push(project.id);
      for (const pipeline of ['build', 'deploy']) {
        pipelines.push(
          (
            await prisma.pipeline.create({
              data: { id: randomUUID(), projectId: project.id, name: pipeline },
            })
          ).id,
        );
      }
    }
    const statuses: RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'waiting'];
    const triggers: TriggerType[] = ['webhook', 'manual', 'schedule', 'retry'];
    for (let i = 0; i < 30; i++) {
      const project = i % 3 === 0 ? 1 : 0;
      // Every fifth run shares the instant of the one before: the cursor must still separate them.
      const createdAt = new Date(base + Math.floor(i - (i % 5 === 4 ? 1 : 0)) * 1000);
      const run = await prisma.run.create({
        data: {
          id: randomUUID(),
          projectId: projects[project],
          pipelineId: pipelines[project * 2 + (i % 2)],
          number: i + 1,
          status: statuses[i % statuses.length],
          trigger: triggers[i % triggers.length],
          triggeredBy: i % 4 === 0 ? 'octocat' : 'schedule',
          event: i % 7 === 0 ? 'tag' : 'push',
          gitRef: i % 7 === 0 ? `refs/tags/v${i}` : `refs/heads/${i % 2 ? 'main' : 'feature'}`,
          branch: i % 7 === 0 ? null : i % 2 ? 'main' : 'feature',
          tag: i % 7 === 0 ? `v${i}` : null,
          commitSha: i % 5 ? 'a'.repeat(40) : null,
          commitMessage: i % 3 ? `change ${i}\n\nwith a body` : null,
          definition:
            i % 2 ? { pipeline: { steps: [{ name: 'build', commands: ['make'] }] } } : Prisma.DbNull,
          error: i % 6 === 3 ? 'step test failed' : null,
          createdAt,
          startedAt: i % 6 ? new Date(createdAt.getTime() + 1500) : null,
          finishedAt: i % 6 > 2 ? new Date(createdAt.getTime() + 60_250) : null,
          lastProgressAt: createdAt,
          steps: {
            create: ['test', 'build', 'lint'].slice(0, 1 + (i % 3)).map((name, position) => ({
              name,
              position: (position + 1) % 3,
              image: 'node:20',
              commands: i % 4 ? ['npm test', `echo ${name}`] : [],
              dependsOn: position ? ['test'] : [],
              status: 'succeeded' as const,
              exitCode: i % 4 ? 0 : null,
              logRef: i % 2 ? `logs/pipelines/${i}/${name}.log` : null,
              logBytes: i % 2 ? BigInt(2 ** 40 + i) : null,
              queuedAt: createdAt,
              startedAt: new Date(createdAt.getTime() + 10),
              finishedAt: new Date(createdAt.getTime() + 999),
              durationMs: 989,
            })),
          },
        },
      });
      expect(run.createdAt.getTime()).toBe(createdAt.getTime());
    }
  });

  afterAll(async () => {
    await prisma?.onModuleDestroy();
    await db?.drop();
  });

  const cases: [string, RunScope, AllRunsQuery, number][] = [
    ['a project, first page', { projectId: '0' }, {}, 20],
    ['every project', { projectIds: null }, {}, 50],
    ['listed projects', { projectIds: ['1'] }, {}, 5],
    ['no readable project', { projectIds: [] }, {}, 5],
    ['project_id within the readable ones', { projectIds: ['0', '1'] }, { project_id: '1' }, 20],
    ['statuses', { projectIds: null }, { status: ['failed', 'cancelled'] }, 20],
    ['triggers and branch', { projectId: '0' }, { trigger: ['manual', 'retry'], branch: 'main' }, 20],
    ['ref as a tag', { projectIds: null }, { ref: 'v7' }, 20],
    ['ref as a git ref', { projectIds: null }, { ref: 'refs/heads/feature' }, 20],
    ['pipeline by id', { projectIds: null }, { pipeline_id: 'p1' }, 20],
    ['pipeline by name', { projectIds: null }, { pipeline: 'deploy' }, 20],
    [
      'created between',
      { projectIds: null },
      { created_from: '2026-12-01T12:00:05.123Z', created_to: '2026-12-01T13:00:15+01:00' },
      20,
    ],
    ['created from a date', { projectIds: null }, { created_from: '2026-12-01' }, 4],
  ];

  it.each(cases)('answers what Prisma answered: %s', async (_, scope, query, limit) => {
    const ids = (refs: string[]) => refs.map((ref) => projects[Number(ref)]);
    const resolved: RunScope =
      'projectId' in scope
        ? { projectId: projects[Number(scope.projectId)] }
        : { projectIds: scope.projectIds && ids(scope.projectIds) };
    const q: AllRunsQuery = {
      ...query,
      ...(query.project_id ? { project_id: projects[Number(query.project_id)] } : {}),
      ...(query.pipeline_id ? { pipeline_id: pipelines[Number(query.pipeline_id.slice(1))] } : {}),
    };
    const expected = await prismaPage(prisma, resolved, q, limit);
    expect(await runPage(prisma.pool, resolved, q, limit)).toEqual(expected);
    // Every case but the empty one finds runs, so it compares something.
    if (!('projectIds' in scope && scope.projectIds?.length === 0))
      expect(expected.length).toBeGreaterThan(0);
  });

  it('walks the same pages with the cursor, runs of the same instant included', async () => {
    const walked: string[] = [];
    let cursor: string | undefined;
    do {
      const query: AllRunsQuery = cursor ? { cursor } : {};
      const page = await runPage(prisma.pool, { projectIds: null }, query, 4);
      expect(page).toEqual(await prismaPage(prisma, { projectIds: null }, query, 4));
      walked.push(...page.slice(0, 4).map((run) => run.id));
      const last = page[3];
      cursor = page.length > 4 ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : undefined;
    } while (cursor);
    expect(walked).toHaveLength(30);
    expect(new Set(walked).size).toBe(30);
  });
});
