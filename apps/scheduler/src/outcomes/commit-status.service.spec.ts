import { generateKey, SecretBox } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { createTestDatabase, RecordingServer, startRecordingServer, TestDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config';
import { CommitStatusService } from './commit-status.service';

// The service against a real database, the provider APIs played by a recording server.
describe('CommitStatusService', () => {
  const key = generateKey();
  let db: TestDatabase;
  let prisma: PrismaService;
  let api: RecordingServer;
  let statuses: CommitStatusService;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url, migrate: false });
    api = await startRecordingServer();
    const config = loadConfig({
      DATABASE_URL: db.url,
      NATS_URL: 'nats://127.0.0.1:1',
      KILN_SECRET_KEY: key,
      KILN_EXECUTOR_KEY: generateKey(),
      KILN_GITHUB_API_URL: `${api.url}/github`,
      KILN_GITLAB_API_URL: `${api.url}/gitlab`,
      KILN_PUBLIC_URL: 'https://kiln.example',
    });
    statuses = new CommitStatusService(prisma, config);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await prisma?.pool.end();
    await api?.close();
    await db?.drop();
  });

  async function runOf(provider: 'github' | 'gitlab' | 'git'): Promise<string> {
    const project = await prisma.project.create({
      data: {
        name: `p-${randomUUID().slice(0, 8)}`,
        repoUrl: 'https://example.com/acme/app.git',
        provider,
        repoFullName: 'acme/app',
      },
    });
    const valueEnc = new SecretBox(key).encrypt('t0k', project.id);
    await prisma.secret.create({ data: { projectId: project.id, name: 'KILN_PROVIDER_TOKEN', valueEnc } });
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
        commitSha: 'a'.repeat(40),
        status: 'running',
      },
    });
    return run.id;
  }

  it("sets the status through the project's own forge", async () => {
    await statuses.report(await runOf('github'), 'pending');
    await statuses.report(await runOf('gitlab'), 'failure');
    expect(api.requests.map((r) => `${r.method} ${r.path} ${JSON.parse(r.body).state}`)).toEqual([
      `POST /github/repos/acme/app/statuses/${'a'.repeat(40)} pending`,
      `POST /gitlab/projects/acme%2Fapp/statuses/${'a'.repeat(40)} failed`,
    ]);
  });

  it('reports nothing for a plain git repository', async () => {
    const before = api.requests.length;
    await statuses.report(await runOf('git'), 'success');
    expect(api.requests.length).toBe(before);
  });
});
