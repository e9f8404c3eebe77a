import { RunRequestedEvent, Subjects } from '@kiln/contracts';
import { generateKey, SecretBox } from '@kiln/crypto';
import { createPrismaClient, PrismaClient } from '@kiln/db';
import { MessagingService } from '@kiln/messaging';
import { StartedService } from '@kiln/observability';
import { NestExpressApplication } from '@nestjs/platform-express';
import { createTestDatabase, TestDatabase, uniqueNatsPrefix } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, WebhookConfig } from '../src/config';
import { startWebhookReceiver } from '../src/start';

/** One receiver (or several replicas) on a fresh database and NATS prefix, plus what tests need around it. */
export interface ReceiverHarness {
  url: string;
  urls: string[];
  apps: NestExpressApplication[];
  config: WebhookConfig;
  prisma: PrismaClient;
  /** Every `kiln.run.requested` event published so far (read back from the stream). */
  runRequests(): Promise<RunRequestedEvent[]>;
  createProject(spec: ProjectSpec): Promise<CreatedProject>;
  close(): Promise<void>;
}

export interface ProjectSpec {
  repoUrl: string;
  repoFullName?: string | null;
  provider?: 'github' | 'gitlab' | 'git';
  secret?: string | null;
  /** Pipelines to create; `yaml` null (the default) reads the definition from the repository. */
  pipelines?: { name: string; yaml?: string | null }[];
}

export interface CreatedProject {
  id: string;
  secret: string;
  pipelineIds: string[];
}

export async function startReceiverHarness(
  env: Record<string, string> = {},
  replicas = 1,
): Promise<ReceiverHarness> {
  const database: TestDatabase = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    NATS_URL: process.env.NATS_URL,
    KILN_NATS_PREFIX: uniqueNatsPrefix(),
    KILN_SECRET_KEY: generateKey(),
    KILN_LOG_LEVEL: 'warn',
    KILN_MIGRATE_ON_START: 'false',
    ...env,
  });
  const services: StartedService[] = [];
  for (let i = 0; i < replicas; i++) services.push(await startWebhookReceiver(config, 0));
  const prisma = createPrismaClient(database.url);
  const box = new SecretBox(config.KILN_SECRET_KEY);
  const messaging = services[0].app.get(MessagingService);

  return {
    url: services[0].url,
    urls: services.map((s) => s.url),
    apps: services.map((s) => s.app),
    config,
    prisma,
    runRequests: () => readRunRequests(messaging),
    async createProject(spec) {
      const id = randomUUID();
      const secret = spec.secret === undefined ? `whsec-${randomUUID()}` : spec.secret;
      await prisma.project.create({
        data: {
          id,
          name: `project-${id.slice(0, 8)}`,
          repoUrl: spec.repoUrl,
          repoFullName: spec.repoFullName ?? null,
          provider: spec.provider ?? 'github',
          webhookSecretEnc: secret === null ? null : box.encrypt(secret, id),
        },
      });
      const pipelineIds: string[] = [];
      for (const pipeline of spec.pipelines ?? [{ name: 'ci' }]) {
        const row = await prisma.pipeline.create({
          data: { projectId: id, name: pipeline.name, yamlConfig: pipeline.yaml ?? null },
        });
        pipelineIds.push(row.id);
      }
      return { id, secret: secret ?? '', pipelineIds };
    },
    async close() {
      for (const service of services) await service.app.close();
      await prisma.$disconnect();
      await database.drop();
    },
  };
}

/**
 * Reads the run-requested stream from its start up to a marker published now: every request
 * published before the call is in the answer, and nothing is waited for by guesswork.
 */
async function readRunRequests(messaging: MessagingService): Promise<RunRequestedEvent[]> {
  const markerId = randomUUID();
  await messaging.publish(Subjects.RunRequested, marker(markerId), { msgId: `marker:${markerId}` });
  const requests: RunRequestedEvent[] = [];
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  try {
    for await (const entry of messaging.readStream(Subjects.RunRequested, { signal: abort.signal })) {
      const request = entry.data as RunRequestedEvent;
      if (request.runId === markerId) return requests.filter((r) => r.triggeredBy !== MARKER);
      requests.push(request);
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error('the marker never came back from the run-requested stream');
}

const MARKER = 'harness-marker';

function marker(runId: string): RunRequestedEvent {
  return {
    version: 1,
    runId,
    projectId: randomUUID(),
    pipelineId: randomUUID(),
    trigger: 'manual',
    triggeredBy: MARKER,
    event: 'manual',
    gitRef: 'marker',
    applyTriggerFilters: false,
    requestedAt: new Date().toISOString(),
  };
}

export { githubHeaders } from '@kiln/testing';

export function gitlabHeaders(event: string, token: string, eventUuid: string | null = randomUUID()) {
  return {
    'content-type': 'application/json',
    'x-gitlab-event': event,
    ...(eventUuid === null ? {} : { 'x-gitlab-event-uuid': eventUuid }),
    'x-gitlab-token': token,
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/** The value of a counter sample on `/metrics` with all the given labels (0 when absent). */
export async function metricValue(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = (await fetch(`${url}/metrics`).then((r) => r.text())).split('\n');
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
