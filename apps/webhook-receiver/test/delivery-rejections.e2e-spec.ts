import request from 'supertest';
import { githubExample, HELLO_WORLD } from './github-examples';
import {
  githubHeaders,
  metricValue,
  ReceiverHarness,
  startReceiverHarness,
} from './webhook-receiver.harness';

describe('deliveries that are refused', () => {
  let h: ReceiverHarness;
  const push = githubExample('push', (p) => p.ref === 'refs/heads/master');
  const body = JSON.stringify(push);

  beforeAll(async () => {
    h = await startReceiverHarness({ KILN_WEBHOOK_BODY_LIMIT: '64kb' });
  });
  afterAll(() => h.close());

  const post = (
    headers: Record<string, string>,
    payload: string | Buffer = body,
    path = '/webhooks/github',
  ) => request(h.url).post(path).set(headers).send(payload);
  const storedDeliveries = () => h.prisma.webhookDelivery.count();

  describe('signatures', () => {
    it('answers 401 to a delivery without a signature, stores nothing and counts it', async () => {
      await h.createProject(HELLO_WORLD);
      const before = await metricValue(h.url, 'kiln_webhook_deliveries_total', {
        provider: 'github',
        outcome: 'rejected_signature',
      });
      const { 'x-hub-signature-256': _, ...unsigned } = githubHeaders('push', body, 'irrelevant');

      const res = await post(unsigned);

      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringContaining('the X-Hub-Signature-256 header is missing'),
      });
      expect(await storedDeliveries()).toBe(0);
      expect(await h.runRequests()).toEqual([]);
      const after = await metricValue(h.url, 'kiln_webhook_deliveries_total', {
        provider: 'github',
        outcome: 'rejected_signature',
      });
      expect(after).toBe(before + 1);
    });

    it('answers 401 to a signature made with another secret', async () => {
      await h.createProject(HELLO_WORLD);

      const res = await post(githubHeaders('push', body, 'not-the-project-secret'));

      expect(res.status).toBe(401);
      expect(res.body.message).toBe(
        "the X-Hub-Signature-256 header does not match the project's webhook secret",
      );
      expect(await storedDeliveries()).toBe(0);
    });

    it('answers 401 when the body was changed after signing', async () => {
      const project = await h.createProject(HELLO_WORLD);
      const headers = githubHeaders('push', body, project.secret);

      const res = await post(headers, body.replace(push.after, 'f'.repeat(40)));

      expect(res.status).toBe(401);
      expect(await storedDeliveries()).toBe(0);
    });

    it('answers 401 for a project that has no webhook secret', async () => {
      const push2 = {
        ...push,
        repository: {
          ...push.repository,
          full_name: 'acme/no-secret',
          clone_url: 'https://github.com/acme/no-secret.git',
        },
      };
      await h.createProject({ repoUrl: 'https://github.com/acme/no-secret.git', secret: null });
      const signed = JSON.stringify(push2);

      const res = await post(githubHeaders('push', signed, ''), signed);

      expect(res.status).toBe(401);
    });
  });

  describe('malformed requests', () => {
    it('answers 400 to malformed JSON and counts it', async () => {
      const before = await metricValue(h.url, 'kiln_webhook_deliveries_total', {
        provider: 'github',
        outcome: 'malformed',
      });

      const res = await post(
        { 'content-type': 'application/json', 'x-github-event': 'push' },
        '{"ref": "refs/heads/main",',
      );

      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(/^the body is not valid JSON: /),
      });
      const after = await metricValue(h.url, 'kiln_webhook_deliveries_total', {
        provider: 'github',
        outcome: 'malformed',
      });
      expect(after).toBe(before + 1);
    });

    it('answers 400 to JSON that is not an object', async () => {
      const res = await post({ 'content-type': 'application/json', 'x-github-event': 'push' }, '[1, 2, 3]');

      expect(res.status).toBe(400);
      expect(res.body.message).toBe('the delivery must be a JSON object');
    });

    it('answers 400 to an empty body', async () => {
      const res = await post({ 'content-type': 'application/json', 'x-github-event': 'push' }, '');

      expect(res.status).toBe(400);
      expect(res.body.message).toBe('the body is empty');
    });

    it('answers 415 to a content type other than JSON or a form', async () => {
      const res = await post({ 'content-type': 'text/plain', 'x-github-event': 'push' }, body);

      expect(res.status).toBe(415);
      expect(res.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: expect.stringContaining('not "text/plain"'),
      });
    });

    it('answers 415 to a body without a content type', async () => {
      const res = await request(h.url)
        .post('/webhooks/github')
        .set('x-github-event', 'push')
        .send(Buffer.from(body));

      expect(res.status).toBe(415);
      expect(res.body.message).toContain('not missing');
    });

    it('answers 413 to a body over the configured limit', async () => {
      const big = JSON.stringify({ ...push, padding: 'x'.repeat(70 * 1024) });

      const res = await post(githubHeaders('push', big, 'irrelevant'), big);

      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'the body is larger than the 64kb limit (KILN_WEBHOOK_BODY_LIMIT)',
      });
    });

    it('answers 400 to a form without a payload field, or with broken JSON in it', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push' };

      const missing = await post(form, 'other=1');
      const broken = await post(form, 'payload=%7Bnope');

      expect(missing.status).toBe(400);
      expect(missing.body.message).toBe('a form-encoded delivery needs a "payload" field');
      expect(broken.status).toBe(400);
      expect(broken.body.message).toMatch(/^the "payload" field is not valid JSON/);
    });

    it('answers 400 to a NUL character anywhere in the delivery, signed or not, JSON or form', async () => {
      const project = await h.createProject(HELLO_WORLD);
      const strangerRepo = JSON.stringify({ ...push, repository: { ...push.repository, full_name: 'a\u0000b/c' } });
      const signedRef = JSON.stringify({ ...push, ref: 'refs/heads/a\u0000b' });
      const formRef = `payload=${encodeURIComponent(signedRef)}`;
      const form = { 'content-type': 'application/x-www-form-urlencoded' };

      const answers = await Promise.all([
        post(githubHeaders('push', strangerRepo, 'irrelevant'), strangerRepo),
        post(githubHeaders('push', signedRef, project.secret), signedRef),
        post({ ...githubHeaders('push', formRef, project.secret), ...form }, formRef),
      ]);

      for (const res of answers) {
        expect(res.status).toBe(400);
        expect(res.body.message).toBe('the delivery contains a NUL character (\\u0000), which Kiln cannot store');
      }
    });

    it('accepts the text \\u0000 (an escaped backslash before "u0000") in a commit message', async () => {
      const project = await h.createProject(HELLO_WORLD);
      const text = JSON.stringify({ ...push, head_commit: { ...push.head_commit, message: 'escape \\u0000 in C' } });

      const res = await post(githubHeaders('push', text, project.secret), text);

      expect(res.status).toBe(202);
      expect(res.body.status).toBe('accepted');
    });

    it('answers 400 to a delivery without an event header', async () => {
      const { 'x-github-event': _, ...headers } = githubHeaders('push', body, 'irrelevant');

      const res = await post(headers);

      expect(res.status).toBe(400);
      expect(res.body.message).toBe('the X-GitHub-Event header is missing');
    });

    it('answers 400 to a signed push that lacks its ref', async () => {
      const project = await h.createProject(HELLO_WORLD);
      const { ref: _, ...noRef } = push;
      const signed = JSON.stringify(noRef);

      const res = await post(githubHeaders('push', signed, project.secret), signed);

      expect(res.status).toBe(400);
      expect(res.body.message).toBe('the push payload has no "ref"');
    });

    it('answers 400 to an unusable delivery id header', async () => {
      const res = await post(githubHeaders('push', body, 'irrelevant', 'x'.repeat(201)));

      expect(res.status).toBe(400);
      expect(res.body.message).toContain('delivery id');
    });

    it('answers 404 to a provider it does not know', async () => {
      const res = await post({ 'content-type': 'application/json' }, body, '/webhooks/bitbucket');

      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'unknown provider "bitbucket"; use github or gitlab',
      });
    });
  });
});

describe('the per-source rate limit', () => {
  let h: ReceiverHarness;

  beforeAll(async () => {
    h = await startReceiverHarness({ KILN_WEBHOOK_RATE_LIMIT: '3', KILN_WEBHOOK_RATE_WINDOW_MS: '60000' });
  });
  afterAll(() => h.close());

  it('answers 429 once an address has sent more deliveries than the limit', async () => {
    const send = () =>
      request(h.url)
        .post('/webhooks/github')
        .set({ 'content-type': 'application/json', 'x-github-event': 'ping' })
        .send('{}');

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send()).status);
    const limited = await send();

    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining('at most 3 per 60 s'),
    });
    // Limited before the body is read: a body the parser would refuse is answered 429, not 400.
    const unparsed = await request(h.url)
      .post('/webhooks/github')
      .set({ 'content-type': 'application/json', 'x-github-event': 'ping' })
      .send('{');
    expect(unparsed.status).toBe(429);
    expect((await request(h.url).get('/healthz')).status).toBe(200);
  });
});
