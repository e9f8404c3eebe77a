import { inPoolTransaction, MemberRole, PrismaService } from '@kiln/db';
import { createZonedDatabase, ZonedDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { Actor } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { insertProject, isNameClash, memberProjectIds, NewProjectRow, projectForMember, projectIdByName } from './project-rows';

describe("projects' own SQL (real PostgreSQL)", () => {
  let database: ZonedDatabase;
  let prisma: PrismaService;
  // Written and read in a session whose zone is not UTC: a `timestamp` handled carelessly shows it.
  let stJohns: PrismaService;
  let audit: AuditService;

  beforeAll(async () => {
    database = await createZonedDatabase();
    ({ prisma, zoned: stJohns } = database);
    audit = new AuditService(prisma);
  });

  afterAll(() => database?.close());

  async function user(): Promise<Actor> {
    const row = await prisma.user.create({ data: { name: 'Ann', email: `${randomUUID()}@example.com` } });
    return {
      userId: row.id,
      userName: row.name,
      tokenId: randomUUID(),
      scopes: ['project:read', 'project:write'],
      tokenExpiresAt: null,
      isAdmin: false,
      ip: '203.0.113.9',
      userAgent: 'kiln-cli/1.0 "quoted"',
    };
  }

  const newProject = (actor: Actor, fields: Partial<NewProjectRow> = {}): NewProjectRow => ({
    id: randomUUID(),
    name: `p-${randomUUID().slice(0, 8)} ünïcode`,
    repoUrl: 'https://example.com/org/repo.git',
    repoFullName: 'org/repo',
    provider: 'github',
    defaultBranch: 'trunk',
    webhookSecretEnc: 'ciphertext',
    createdById: actor.userId,
    ...fields,
  });

  /** What project creation wrote through Prisma before: nested member and pipeline, and the audit row, in one transaction. */
  async function createViaPrisma(actor: Actor, row: NewProjectRow) {
    return prisma.$transaction(async (tx) => {
      const project = await tx.project.create({
        data: {
          ...row,
          members: { create: { userId: actor.userId, role: 'admin' } },
          pipelines: { create: { name: 'default', description: 'reads .platform.yaml from the pushed commit' } },
        },
      });
      await audit.record(actor, { action: 'project.create', targetType: 'project', targetId: row.id, projectId: row.id, details: { name: row.name } }, tx);
      return project;
    });
  }

  async function createViaPool(client: PrismaService, actor: Actor, row: NewProjectRow, now: Date) {
    return inPoolTransaction(client.pool, async (c) => {
      await c.query('BEGIN');
      const project = await insertProject(c, row, now);
      await audit.recordOn(c, actor, { action: 'project.create', targetType: 'project', targetId: row.id, projectId: row.id, details: { name: row.name } }, now);
      return project;
    });
  }

  /** Everything a project's creation wrote, without the values that differ by nature (ids, names, times). */
  async function written(projectId: string) {
    const { id: _id, name: _name, createdAt: _c, updatedAt: _u, ...project } = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    const members = (await prisma.projectMember.findMany({ where: { projectId } })).map(({ projectId: _p, createdAt: _c2, ...m }) => m);
    const pipelines = (await prisma.pipeline.findMany({ where: { projectId } })).map(
      ({ id: _i, projectId: _p, createdAt: _c3, updatedAt: _u3, ...p }) => p,
    );
    const audits = (await prisma.auditLog.findMany({ where: { projectId } })).map(
      ({ id: _i, targetId: _t, projectId: _p, createdAt: _c4, details: _d, ...a }) => a,
    );
    return { project, members, pipelines, audits };
  }

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('creates a project, its admin member, its default pipeline and the audit row as Prisma did (session zone %s)', async (_zone, client) => {
    const actor = await user();
    const viaPrisma = await createViaPrisma(actor, newProject(actor));
    const now = new Date('2026-12-06T23:10:00.123Z');
    const row = newProject(actor, { repoFullName: null });
    const viaPool = await createViaPool(client(), actor, row, now);

    const [prismaRows, poolRows] = [await written(viaPrisma.id), await written(viaPool.id)];
    expect(poolRows).toEqual({ ...prismaRows, project: { ...prismaRows.project, repoFullName: null } });
    expect(poolRows.members).toEqual([{ userId: actor.userId, role: 'admin' }]);
    expect(poolRows.pipelines).toEqual([expect.objectContaining({ name: 'default', configPath: '.platform.yaml', yamlConfig: null, scheduleReadAt: null })]);
    // The row answered is the row stored, times in UTC.
    expect(viaPool).toEqual(await prisma.project.findUniqueOrThrow({ where: { id: viaPool.id } }));
    expect(viaPool).toMatchObject({ name: row.name, createdAt: now, updatedAt: now, lastActivityAt: null });
    const stored = await prisma.auditLog.findFirstOrThrow({ where: { projectId: viaPool.id } });
    expect(stored).toMatchObject({ targetId: row.id, details: { name: row.name }, createdAt: now });
    expect((await prisma.pipeline.findFirstOrThrow({ where: { projectId: viaPool.id } })).createdAt).toEqual(now);
  });

  it('refuses a second project of one name with the error the API turns into 409, writing nothing', async () => {
    const actor = await user();
    const first = await createViaPool(prisma, actor, newProject(actor), new Date());
    expect(await projectIdByName(prisma.pool, first.name)).toBe(first.id);
    expect(await projectIdByName(prisma.pool, `${first.name} nobody`)).toBeNull();
    const again = newProject(actor, { name: first.name });
    const error = await createViaPool(prisma, actor, again, new Date()).catch((e: unknown) => e);
    expect(isNameClash(error)).toBe(true);
    expect(await prisma.project.findUnique({ where: { id: again.id } })).toBeNull();
    expect(await prisma.auditLog.count({ where: { projectId: again.id } })).toBe(0);
  });

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('reads a project with the caller\'s role as Prisma did (session zone %s)', async (_zone, client) => {
    const owner = await user();
    const reader = await user();
    const stranger = await user();
    const project = await createViaPrisma(owner, newProject(owner));
    await prisma.projectMember.create({ data: { projectId: project.id, userId: reader.userId, role: 'read' } });
    await prisma.project.update({
      where: { id: project.id },
      data: { concurrencyLimit: 3, secretsForForks: true, publicBadge: true, lastActivityAt: new Date('2026-12-06T20:00:00.999Z') },
    });
    for (const [actor, role] of [[owner, 'admin'], [reader, 'read'], [stranger, null]] as [Actor, MemberRole | null][]) {
      const viaPrisma = await prisma.project.findUniqueOrThrow({ where: { id: project.id }, include: { members: { where: { userId: actor.userId } } } });
      const { members, ...expected } = viaPrisma;
      expect(await projectForMember(client().pool, project.id, actor.userId)).toEqual({ project: expected, memberRole: members[0]?.role ?? null });
      expect(members[0]?.role ?? null).toBe(role);
    }
    expect(await projectForMember(client().pool, randomUUID(), owner.userId)).toBeNull();
    expect(await projectForMember(client().pool, 'not-a-uuid', owner.userId)).toBeNull();
  });

  it('lists the ids of the projects a user is a member of as Prisma did', async () => {
    const actor = await user();
    const ids = [(await createViaPool(prisma, actor, newProject(actor), new Date())).id, (await createViaPrisma(actor, newProject(actor))).id];
    const viaPrisma = await prisma.projectMember.findMany({ where: { userId: actor.userId }, select: { projectId: true } });
    expect((await memberProjectIds(prisma.pool, actor.userId)).sort()).toEqual(viaPrisma.map((m) => m.projectId).sort());
    expect((await memberProjectIds(prisma.pool, actor.userId)).sort()).toEqual(ids.sort());
    expect(await memberProjectIds(prisma.pool, (await user()).userId)).toEqual([]);
  });
});
