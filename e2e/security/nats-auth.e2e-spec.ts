/* NATS with a user per app: the platform runs a pipeline that uses a secret to success with every
   app on its own user, while other users cannot read the dispatches (no subscription, no consumer,
   no message get, no snooping on the executors' pull inboxes), only the scheduler may publish
   them, clients without valid credentials are refused, and the stored dispatch (and JetStream's
   files on disk) hold the secret only sealed. */
import { StepDispatchedEvent, Subjects } from '@kiln/contracts';
import { MessagingConnection, NATS_ROLES, natsAccountConfig, NatsRole } from '@kiln/messaging';
import { createGitRepo, Platform, RunningNatsServer, startNatsServer, startPlatform } from '@kiln/testing';
import { jetstream, jetstreamManager, StoredMsg } from '@nats-io/jetstream';
import { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SECRET = `s3cr3t-${randomUUID()}`;
// The step checks the secret's digest: the secret itself must appear nowhere but in `sealed`.
const DIGEST = createHash('sha256').update(SECRET).digest('hex');
const DEFINITION = `pipeline:
  steps:
    - name: uses-secret
      image: alpine
      environment: { TOKEN: "\${{ secrets.DEPLOY_TOKEN }}" }
      commands: ['test "$(printf %s "$TOKEN" | sha256sum | cut -c1-64)" = ${DIGEST} && echo the secret arrived']
`;

const passwords = Object.fromEntries(NATS_ROLES.map((r) => [r, randomBytes(16).toString('hex')])) as Record<
  NatsRole,
  string
>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('NATS users and sealed secrets', () => {
  let nats: RunningNatsServer;
  let platform: Platform;
  const clients: NatsConnection[] = [];
  const as = async (role: NatsRole, pass = passwords[role]) => {
    const nc = await connect({ servers: nats.url, user: role, pass, inboxPrefix: `_INBOX.${role}` });
    clients.push(nc);
    return nc;
  };

  beforeAll(async () => {
    nats = await startNatsServer({ config: natsAccountConfig(passwords) });
    const appEnv = Object.fromEntries(
      NATS_ROLES.map((role) => [role, { KILN_NATS_USER: role, KILN_NATS_PASSWORD: passwords[role] }]),
    );
    platform = await startPlatform({ NATS_URL: nats.url, KILN_NATS_PREFIX: '' }, appEnv);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await platform?.stop();
    await nats?.stop();
  });

  it('stores dispatches with the secret sealed and runs the step with it, every app on its own user', async () => {
    const repo = createGitRepo();
    repo.commit({ 'README.md': 'x' });
    const project = await platform.createProject({ name: `nats-auth-${randomUUID().slice(0, 8)}`, repo });
    const put = await platform.api('PUT', `/api/projects/${project.id}/secrets/DEPLOY_TOKEN`, { value: SECRET });
    expect(put.status).toBeLessThan(300);
    const pipelineId = await platform.createPipeline(project.id, { name: 'secret', yaml_config: DEFINITION });
    // Without an executor the dispatch stays in its stream, where it can be inspected.
    await platform.apps.kill('pod-executor');
    const run = await platform.startRun(project.id, pipelineId);
    const jsm = await jetstreamManager(await as('pod-executor'));
    let stored: StoredMsg | null = null;
    for (let tries = 0; !stored && tries < 100; tries++) {
      stored = await jsm.streams
        .getMessage('KILN_DISPATCH', { last_by_subj: Subjects.StepDispatched })
        .catch(() => null);
      if (!stored) await new Promise((r) => setTimeout(r, 100));
    }
    expect(stored).not.toBeNull();
    const dispatch = stored!.json<StepDispatchedEvent>();
    expect(dispatch.runId).toBe(run.id);
    expect(typeof dispatch.sealed).toBe('string');
    expect(dispatch.env.TOKEN).toBeUndefined();
    expect(Buffer.from(stored!.data).includes(SECRET)).toBe(false);
    const files = filesUnder(nats.storeDir);
    expect(files.some((f) => readFileSync(f).includes(run.id))).toBe(true);
    expect(files.filter((f) => readFileSync(f).includes(SECRET))).toEqual([]);

    await platform.apps.start('pod-executor');
    const done = await platform.waitForRun(project.id, run.id);
    expect(done.status).toBe('succeeded');
    expect(await platform.stepLog(project.id, done, 'uses-secret')).toContain('the secret arrived');
  }, 90_000);

  it('refuses clients without credentials or with a wrong password', async () => {
    await expect(connect({ servers: nats.url })).rejects.toThrow(/Authorization Violation/i);
    await expect(as('scheduler', 'wrong-password')).rejects.toThrow(/Authorization Violation/i);
  });

  it('stops an app at start when its credentials are refused, naming the variables', async () => {
    const open = (url: string, user?: string, pass?: string) =>
      MessagingConnection.open({ url, user, pass, name: 'probe', connectTimeoutMs: 20_000 });
    const started = Date.now();
    await expect(open(nats.url)).rejects.toThrow(/NATS refused no credentials.*NATS_URL.*KILN_NATS_PASSWORD/);
    await expect(open(nats.url, 'gateway', 'wrong')).rejects.toThrow(/NATS refused user "gateway"/);
    // Refused at once, not after the connect timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
    const withUrlCredentials = await open(nats.url.replace('//', `//gateway:${passwords.gateway}@`));
    await withUrlCredentials.onApplicationShutdown();
  });

  it.each(['log-archiver', 'gateway', 'webhook-receiver'] as const)(
    'does not let the %s user subscribe to dispatches or to other users\u2019 inboxes',
    async (role) => {
      const nc = await as(role);
      for (const subject of [Subjects.StepDispatched, '_INBOX.>', '_INBOX.pod-executor.>', '>']) {
        const sub = nc.subscribe(subject);
        await expect(sub.closed).resolves.toThrow(/Permissions Violation for Subscription/);
      }
    },
  );

  it.each(['log-archiver', 'gateway', 'scheduler'] as const)(
    'does not let the %s user read the dispatch stream',
    async (role) => {
      const nc = await as(role);
      const jsm = await jetstreamManager(nc, { timeout: 2_000 });
      await expect(
        jsm.consumers.add('KILN_DISPATCH', { durable_name: `thief-${role}`, ack_policy: 'explicit' as never }),
      ).rejects.toThrow(/Permissions Violation|timeout/i);
      await expect(jsm.streams.getMessage('KILN_DISPATCH', { seq: 1 })).rejects.toThrow(
        /Permissions Violation|timeout/i,
      );
    },
  );

  it('lets only the scheduler publish dispatches', async () => {
    const js = jetstream(await as('gateway'), { timeout: 2_000 });
    await expect(js.publish(Subjects.StepDispatched, '{}')).rejects.toThrow(/Permissions Violation|timeout/i);
    const executor = jetstream(await as('pod-executor'), { timeout: 2_000 });
    await expect(executor.publish(Subjects.StepDispatched, '{}')).rejects.toThrow(/Permissions Violation|timeout/i);
  });
});
