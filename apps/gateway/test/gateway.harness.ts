import { Subjects } from '@kiln/contracts';
import { generateApiToken, generateKey } from '@kiln/crypto';
import { createPrismaClient, PrismaClient } from '@kiln/db';
import { isTerminalRun } from '@kiln/engine';
import { MessagingService } from '@kiln/messaging';
import { startService } from '@kiln/observability';
import { createTestDatabase, TestDatabase, uniqueNatsPrefix } from '@kiln/testing';
import { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';
import { configureGateway } from '../src/gateway.setup';

export interface TestUser {
  id: string;
  token: string;
  tokenId?: string;
}

export interface Gateway {
  url: string;
  app: NestExpressApplication;
  prisma: PrismaClient;
  messaging: MessagingService;
  db: TestDatabase;
  dataDir: string;
  prefix: string;
  admin: TestUser;
  /** supertest against the running gateway. */
  http(): ReturnType<typeof request>;
  /** A new user with a first token, created by the admin through the API. */
  createUser(name?: string): Promise<TestUser>;
  /** A project owned (admin role) by `owner`; answers its JSON. */
  createProject(owner: TestUser, fields?: Record<string, unknown>): Promise<ProjectJson>;
  /** A queued or finished run with steps, inserted as the scheduler would. */
  insertRun(projectId: string, fields?: Partial<RunFixture>): Promise<{ runId: string; stepIds: string[] }>;
  /** Core NATS subscription on a (prefixed) contract subject; collects decoded payloads. */
  listen(
    subject: string,
    onMessage?: (data: Record<string, unknown>) => void | Promise<void>,
  ): Promise<Listener>;
  stop(): Promise<void>;
}

export interface ProjectJson {
  id: string;
  name: string;
  [key: string]: unknown;
}

export interface RunFixture {
  status: 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
  branch: string | null;
  trigger: 'manual' | 'webhook' | 'schedule' | 'retry';
  createdAt: Date;
  pipelineId: string;
  steps: {
    name: string;
    status: string;
    exitCode?: number | null;
    logRef?: string | null;
    dependsOn?: string[];
  }[];
}

export interface Heard {
  data: Record<string, unknown>;
  msgId: string | undefined;
}

export interface Listener {
  messages: Heard[];
  waitFor(predicate: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Heard>;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The gateway in this process on a free port, with its own database, NATS prefix and data directory. */
export async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-gateway-'));
  const prefix = uniqueNatsPrefix();
  const adminToken = generateApiToken();
  const config = loadConfig({
    DATABASE_URL: db.url,
    NATS_URL: process.env.NATS_URL,
    KILN_NATS_PREFIX: prefix,
    KILN_DATA_DIR: dataDir,
    KILN_SECRET_KEY: generateKey(),
    KILN_ADMIN_TOKEN: adminToken,
    KILN_ALLOW_LOCAL_REPOS: 'true',
    // createGitRepo makes its repositories there.
    KILN_LOCAL_REPO_ROOTS: tmpdir(),
    KILN_STORAGE_DRIVER: 'fs',
    KILN_LOG_LEVEL: 'warn',
    KILN_MIGRATE_ON_START: 'false',
    KILN_RUN_CREATE_WAIT_MS: '300',
    ...env,
  });
  const { app, url } = await startService(AppModule.forRoot(config), {
    port: 0,
    host: '127.0.0.1',
    configure: (a) => configureGateway(a, config),
  });
  const prisma = createPrismaClient(db.url);
  const adminRow = await prisma.user.findFirstOrThrow({ where: { isAdmin: true } });
  const nc: NatsConnection[] = [];
  const gateway: Gateway = {
    url,
    app,
    prisma,
    messaging: app.get(MessagingService),
    db,
    dataDir,
    prefix,
    admin: { id: adminRow.id, token: adminToken },
    http: () => request(url),
    async createUser(name = `user-${randomUUID().slice(0, 8)}`) {
      const res = await request(url)
        .post('/api/users')
        .set(bearer(adminToken))
        .send({ name, email: `${name}@example.com` });
      if (res.status !== 201) throw new Error(`creating user failed: ${res.status} ${res.text}`);
      return { id: res.body.id, token: res.body.token, tokenId: res.body.token_id };
    },
    async createProject(owner, fields = {}) {
      const res = await request(url)
        .post('/api/projects')
        .set(bearer(owner.token))
        .send({
          name: `p-${randomUUID().slice(0, 8)}`,
          repo_url: 'https://github.com/acme/app.git',
          provider: 'github',
          ...fields,
        });
      if (res.status !== 201) throw new Error(`creating project failed: ${res.status} ${res.text}`);
      return res.body;
    },
    insertRun: (projectId, fields) => insertRun(prisma, projectId, fields),
    async listen(subject, onMessage) {
      const conn: NatsConnection = await connect({ servers: process.env.NATS_URL! });
      nc.push(conn);
      const messages: Heard[] = [];
      const waiters: (() => void)[] = [];
      conn.subscribe(`${prefix}${subject}`, {
        callback: (_err, msg) => {
          const data = msg.json<Record<string, unknown>>();
          void Promise.resolve(onMessage?.(data)).then(() => {
            messages.push({ data, msgId: msg.headers?.get('Nats-Msg-Id') });
            waiters.splice(0).forEach((w) => w());
          });
        },
      });
      await conn.flush();
      return {
        messages,
        async waitFor(predicate, timeoutMs = 5000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const found = messages.find((m) => predicate(m.data));
            if (found) return found;
            if (Date.now() > deadline)
              throw new Error(`no matching message on ${subject}: ${JSON.stringify(messages)}`);
            await new Promise<void>((resolve) => {
              waiters.push(resolve);
              setTimeout(resolve, 100);
            });
          }
        },
      };
    },
    async stop() {
      await Promise.all(nc.map((c) => c.close()));
      await deleteStreams(app.get(MessagingService), prefix);
      await app.close();
      await prisma.$disconnect();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return gateway;
}

/**
 * Every test gateway provisions its own prefixed streams on the shared server, and JetStream
 * reserves their max_bytes: they must go when the test is done, or later servers run out.
 */
async function deleteStreams(messaging: MessagingService, prefix: string): Promise<void> {
  const names: string[] = [];
  for await (const info of messaging.jsm.streams.list()) {
    if (info.config.name.startsWith(prefix.replace(/\./g, '_'))) names.push(info.config.name);
  }
  await Promise.all(names.map((name) => messaging.jsm.streams.delete(name)));
}

async function insertRun(prisma: PrismaClient, projectId: string, fields: Partial<RunFixture> = {}) {
  const pipelineId =
    fields.pipelineId ??
    (await prisma.pipeline.findFirstOrThrow({ where: { projectId, name: 'default' } })).id;
  const last = await prisma.run.findFirst({ where: { projectId }, orderBy: { number: 'desc' } });
  const runId = randomUUID();
  const status = fields.status ?? 'succeeded';
  const finished = isTerminalRun(status);
  const createdAt = fields.createdAt ?? new Date();
  await prisma.run.create({
    data: {
      id: runId,
      projectId,
      pipelineId,
      number: (last?.number ?? 0) + 1,
      status,
      trigger: fields.trigger ?? 'manual',
      triggeredBy: 'tester',
      event: 'manual',
      gitRef: fields.branch ?? 'main',
      branch: fields.branch === undefined ? 'main' : fields.branch,
      commitSha: 'a'.repeat(40),
      createdAt,
      startedAt: createdAt,
      finishedAt: finished ? new Date(createdAt.getTime() + 1000) : null,
    },
  });
  const steps = fields.steps ?? [
    { name: 'build', status: finished ? status : 'running', exitCode: finished ? 0 : null },
  ];
  const stepIds: string[] = [];
  for (const [position, step] of steps.entries()) {
    const row = await prisma.step.create({
      data: {
        runId,
        name: step.name,
        position,
        image: 'node:20',
        commands: ['echo hi'],
        dependsOn: step.dependsOn ?? [],
        status: step.status as never,
        exitCode: step.exitCode ?? null,
        logRef: step.logRef ?? null,
        startedAt: step.status === 'pending' ? null : createdAt,
        finishedAt: ['succeeded', 'failed', 'cancelled'].includes(step.status)
          ? new Date(createdAt.getTime() + 900)
          : null,
        durationMs: ['succeeded', 'failed', 'cancelled'].includes(step.status) ? 900 : null,
      },
    });
    stepIds.push(row.id);
  }
  return { runId, stepIds };
}

export { Subjects };
