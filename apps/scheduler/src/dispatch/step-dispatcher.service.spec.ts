import { openStepSecrets, StepDispatchedEvent } from '@kiln/contracts';
import { generateKey, SecretBox } from '@kiln/crypto';
import { PrismaService, Run, Step } from '@kiln/db';
import { parseDefinition } from '@kiln/definition';
import { MessagingService } from '@kiln/messaging';
import { createRunRows, createTestDatabase, TestDatabase } from '@kiln/testing';
import { loadConfig } from '../config';
import { StepDispatcherService } from './step-dispatcher.service';

const PRIVATE_PASSWORD = 'private-registry-pa55word';
const GHCR_PASSWORD = 'ghcr-token-not-for-these-steps';

const DEFINITION = `pipeline:
  steps:
    - { name: private, image: "127.0.0.1:5000/team/app:1", commands: ["true"] }
    - name: hub
      image: "node:20"
      commands: ["true"]
      node_selector: { kubernetes.io/arch: arm64 }
      tolerations: [{ key: gpu, operator: Exists, effect: NoSchedule }]
    - { name: package, build: { context: . } }
`;

describe('step dispatch with registry credentials (real PostgreSQL)', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let dispatcher: StepDispatcherService;
  let box: SecretBox;
  const executorKey = generateKey();
  const executorBox = new SecretBox(executorKey);
  const published: StepDispatchedEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url });
    const key = generateKey();
    box = new SecretBox(key);
    const config = loadConfig({
      DATABASE_URL: db.url,
      KILN_SECRET_KEY: key,
      KILN_EXECUTOR_KEY: executorKey,
      KILN_REGISTRY: '127.0.0.1:5000/builds',
    });
    const messaging = {
      publish: async (_subject: string, payload: StepDispatchedEvent) => {
        published.push(payload);
      },
    };
    dispatcher = new StepDispatcherService(prisma, messaging as unknown as MessagingService, config);
  });

  afterAll(async () => {
    await prisma?.onModuleDestroy();
    await db?.drop();
  });

  beforeEach(() => published.splice(0));

  /** A queued run of DEFINITION in a project holding credentials for 127.0.0.1:5000 and ghcr.io. */
  async function queuedRun(secretsWithheld: string | null = null, yaml = DEFINITION): Promise<{ run: Run; steps: Step[] }> {
    const { projectId, runId } = await createRunRows(prisma);
    for (const [server, password] of [
      ['127.0.0.1:5000', PRIVATE_PASSWORD],
      ['ghcr.io', GHCR_PASSWORD],
    ]) {
      await prisma.registryCredential.create({
        data: { projectId, server, username: 'puller', passwordEnc: box.encrypt(password, projectId) },
      });
    }
    const parsed = parseDefinition(yaml);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    await prisma.run.update({
      where: { id: runId },
      data: { definition: JSON.parse(JSON.stringify(parsed.definition)), secretsWithheld },
    });
    const steps = await Promise.all(
      parsed.definition.steps.map((s, position) =>
        prisma.step.create({
          data: { runId, name: s.name, position, image: s.image, commands: s.commands, status: 'queued' },
        }),
      ),
    );
    return { run: await prisma.run.findUniqueOrThrow({ where: { id: runId } }), steps };
  }

  const dispatchOf = (name: string) => {
    const found = published.find((e) => e.stepName === name);
    if (!found) throw new Error(`no dispatch of ${name}: ${published.map((e) => e.stepName).join(', ')}`);
    return found;
  };

  it("gives a step the credentials of its image's registry only, sealed, and masks that password", async () => {
    const { run, steps } = await queuedRun();
    expect(await dispatcher.dispatch(run, steps)).toEqual([]);

    const privateStep = dispatchOf('private');
    const opened = openStepSecrets(executorBox, privateStep, privateStep.sealed!);
    expect(opened.registryCredentials).toEqual([
      { server: '127.0.0.1:5000', username: 'puller', password: PRIVATE_PASSWORD },
    ]);
    expect(opened.maskValues).toContain(PRIVATE_PASSWORD);
    expect(privateStep.registryCredentials).toBeUndefined();
    expect(JSON.stringify(privateStep)).not.toContain(PRIVATE_PASSWORD);
    expect(JSON.stringify(privateStep)).not.toContain(GHCR_PASSWORD);

    const hubStep = dispatchOf('hub');
    expect(hubStep.registryCredentials).toBeUndefined();
    expect(JSON.stringify(hubStep)).not.toContain(PRIVATE_PASSWORD);
    expect(JSON.stringify(hubStep)).not.toContain(GHCR_PASSWORD);
  });

  it('gives a build step the credentials of the registry it pushes to', async () => {
    const { run, steps } = await queuedRun();
    expect(await dispatcher.dispatch(run, steps)).toEqual([]);
    const build = dispatchOf('package');
    expect(build.build?.imageRef).toMatch(/^127\.0\.0\.1:5000\/builds\/p-[0-9a-f]{8}:/);
    expect(openStepSecrets(executorBox, build, build.sealed!).registryCredentials).toEqual([
      { server: '127.0.0.1:5000', username: 'puller', password: PRIVATE_PASSWORD },
    ]);
  });

  it('gives the steps of a run whose secrets are withheld (a fork) no registry credentials', async () => {
    const { run, steps } = await queuedRun('the pull request comes from a fork');
    expect(await dispatcher.dispatch(run, steps)).toEqual([]);
    expect(dispatchOf('private').registryCredentials).toBeUndefined();
    expect(JSON.stringify(published)).not.toContain(PRIVATE_PASSWORD);
  });

  it("carries a step's node_selector and tolerations in its dispatch, and none for a step without", async () => {
    const { run, steps } = await queuedRun();
    expect(await dispatcher.dispatch(run, steps)).toEqual([]);
    expect(dispatchOf('hub')).toMatchObject({
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect([dispatchOf('private').nodeSelector, dispatchOf('private').tolerations]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("seals the project secrets a step names for the executor and names those the project lacks", async () => {
    const { run, steps } = await queuedRun(
      null,
      `pipeline:
  steps:
    - { name: uses, image: alpine, commands: ["true"], environment: { TOKEN: "\${{ secrets.TOKEN }}" } }
    - { name: lacks, image: alpine, commands: ["true"], environment: { OTHER: "\${{ secrets.OTHER }}" } }
`,
    );
    await prisma.secret.create({ data: { projectId: run.projectId, name: 'TOKEN', valueEnc: box.encrypt('s3cret-value', run.projectId) } });
    const undeliverable = await dispatcher.dispatch(run, steps);
    expect(undeliverable.map((u) => [u.step.id, u.error])).toEqual([[steps[1].id, 'missing project secrets: OTHER']]);
    const uses = dispatchOf('uses');
    expect(openStepSecrets(executorBox, uses, uses.sealed!).env).toEqual({ TOKEN: 's3cret-value' });
    expect(JSON.stringify(published)).not.toContain('s3cret-value');
  });

  it("expands its services' variables, seals those holding a secret and names a secret a service lacks", async () => {
    const { run, steps } = await queuedRun(
      null,
      `pipeline:
  steps:
    - name: with-db
      image: alpine
      commands: ["true"]
      services:
        - name: db
          image: postgres:16
          environment: { POSTGRES_USER: "kiln-$RUN_NUMBER", POSTGRES_PASSWORD: "\${{ secrets.DB_PASSWORD }}" }
        - { name: cache, image: redis:7, environment: { MODE: plain } }
    - name: lacks
      image: alpine
      commands: ["true"]
      services: [{ name: db, image: postgres:16, environment: { POSTGRES_PASSWORD: "\${{ secrets.GONE }}" } }]
`,
    );
    await prisma.secret.create({
      data: { projectId: run.projectId, name: 'DB_PASSWORD', valueEnc: box.encrypt('pg-s3cret', run.projectId) },
    });
    const undeliverable = await dispatcher.dispatch(run, steps);
    expect(undeliverable.map((u) => [u.step.id, u.error])).toEqual([
      [steps[1].id, 'missing project secrets: GONE'],
    ]);
    const withDb = dispatchOf('with-db');
    expect(withDb.services).toEqual([
      { name: 'db', image: 'postgres:16', environment: { POSTGRES_USER: `kiln-${run.number}` } },
      { name: 'cache', image: 'redis:7', environment: { MODE: 'plain' } },
    ]);
    const opened = openStepSecrets(executorBox, withDb, withDb.sealed!);
    expect(opened.serviceEnv).toEqual({ db: { POSTGRES_PASSWORD: 'pg-s3cret' } });
    expect(opened.maskValues).toContain('pg-s3cret');
    expect(JSON.stringify(published)).not.toContain('pg-s3cret');
  });
});
