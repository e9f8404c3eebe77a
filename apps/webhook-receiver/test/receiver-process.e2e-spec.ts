import { generateKey, SecretBox } from '@kiln/crypto';
import { createPrismaClient } from '@kiln/db';
import { createTestDatabase, RunningApps, startApps, TestDatabase, uniqueNatsPrefix } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { githubExample, HELLO_WORLD } from './github-examples';
import { githubHeaders, gitlabHeaders } from './webhook-receiver.harness';

// The compiled app as a real process (needs `node scripts/build.js`): Node loads the ESM-only
// @octokit/webhooks itself here, and the process output is everything it ever logged.
describe('the webhook-receiver process', () => {
  let db: TestDatabase;
  let apps: RunningApps;
  const key = generateKey();
  const projectId = randomUUID();
  const secret = `whsec-${randomUUID()}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    const prisma = createPrismaClient(db.url);
    await prisma.project.create({
      data: {
        id: projectId,
        name: 'process-test',
        ...HELLO_WORLD,
        provider: 'github',
        webhookSecretEnc: new SecretBox(key).encrypt(secret, projectId),
        pipelines: { create: { name: 'ci' } },
      },
    });
    await prisma.$disconnect();
    apps = await startApps(['webhook-receiver'], {
      DATABASE_URL: db.url,
      NATS_URL: process.env.NATS_URL!,
      KILN_NATS_PREFIX: uniqueNatsPrefix(),
      KILN_SECRET_KEY: key,
      KILN_MIGRATE_ON_START: 'false',
    });
  });
  afterAll(async () => {
    await apps?.stop();
    await db?.drop();
  });

  it('verifies GitHub and GitLab deliveries and never writes a webhook secret to its logs', async () => {
    const url = apps.url('webhook-receiver');
    const body = JSON.stringify(githubExample('push', (p) => p.ref === 'refs/heads/master'));
    const gitlabBody = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', after: 'c'.repeat(40), project: { path_with_namespace: 'Codertocat/Hello-World' } });
    const wrongToken = `${secret}-wrong`;

    const github = await request(url).post('/webhooks/github').set(githubHeaders('push', body, secret)).send(body);
    const gitlab = await request(url).post('/webhooks/gitlab').set(gitlabHeaders('Push Hook', secret)).send(gitlabBody);
    const rejected = await request(url).post('/webhooks/gitlab').set(gitlabHeaders('Push Hook', wrongToken)).send(gitlabBody);

    expect([github.status, gitlab.status, rejected.status]).toEqual([202, 202, 401]);
    expect(github.body.status).toBe('accepted');
    await apps.kill('webhook-receiver');
    const output = apps.output('webhook-receiver');
    expect(output).toContain('/webhooks/gitlab');
    expect(output).not.toContain(secret);
  });
});
