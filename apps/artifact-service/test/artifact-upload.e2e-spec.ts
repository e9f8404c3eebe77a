import { createStorage, ObjectStorage } from '@kiln/storage';
import { startS3Server, RunningS3Server } from '@kiln/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  ArtifactService,
  createFixture,
  createRun,
  Fixture,
  send,
  startArtifactService,
} from './artifact-service.harness';

const MAX_BYTES = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('artifact-service uploads', () => {
  let fx: Fixture;
  let service: ArtifactService;
  let storage: ObjectStorage;
  let projectId: string;
  let runId: string;

  const uploadUrl = (name: string, path: string, extra = '') =>
    `${service.url}/internal/artifacts/${runId}/${name}?path=${encodeURIComponent(path)}${extra}`;
  const upload = (path: string, body: Buffer, opts: { chunked?: boolean; contentType?: string } = {}) =>
    send('PUT', uploadUrl('test-results', path), {
      body,
      chunked: opts.chunked,
      headers: { 'x-project-id': projectId, 'content-type': opts.contentType ?? 'application/octet-stream' },
    });

  beforeAll(async () => {
    fx = await createFixture();
    service = await startArtifactService({
      DATABASE_URL: fx.db.url,
      KILN_DATA_DIR: fx.dataDir,
      KILN_ARTIFACT_MAX_BYTES: String(MAX_BYTES),
    });
    storage = createStorage({ driver: 'fs', root: join(fx.dataDir, 'objects') });
    ({ projectId, runId } = await createRun(fx.prisma));
  });

  afterAll(async () => {
    await service?.stop();
    await fx?.cleanUp();
  });

  it('stores an uploaded file, records its row and answers the sha256 of the stored bytes', async () => {
    // A JSON file larger than a JSON body parser's default limit proves the body is streamed as is.
    const content = Buffer.from(
      JSON.stringify({ cases: Array.from({ length: 20_000 }, (_, i) => ({ i, ok: true })) }),
    );
    expect(content.length).toBeGreaterThan(200_000);

    const answer = await upload('reports/junit.json', content, { contentType: 'application/json' });

    expect(answer.status).toBe(201);
    const objectPath = `artifacts/${runId}/test-results/reports/junit.json`;
    expect(answer.json()).toEqual({
      id: expect.any(String),
      object_path: objectPath,
      size_bytes: content.length,
      sha256: sha256(content),
    });
    const stored = await storage.get(objectPath);
    expect(sha256(stored)).toBe(sha256(content));
    const row = await fx.prisma.artifact.findUniqueOrThrow({ where: { objectPath } });
    expect(row).toMatchObject({
      id: answer.json().id,
      runId,
      projectId,
      name: 'test-results',
      path: 'reports/junit.json',
      contentType: 'application/json',
      sizeBytes: BigInt(content.length),
      sha256: sha256(content),
      expiresAt: null,
    });
  });

  it('keeps the counts of a file uploaded as a JUnit report with its row, and none for other files', async () => {
    const report = Buffer.from(
      '<?xml version="1.0"?><testsuite name="unit"><testcase name="a"/>' +
        '<testcase name="b"><failure message="1 > 2"/></testcase><testcase name="c"><skipped/></testcase></testsuite>',
    );
    const asReport = (path: string, body: Buffer) =>
      send('PUT', uploadUrl('junit', path, '&report=junit'), {
        body,
        headers: { 'x-project-id': projectId, 'content-type': 'application/xml' },
      });
    expect((await asReport('unit.xml', report)).status).toBe(201);
    expect((await asReport('notes.txt', Buffer.from('<testsuite/>'))).status).toBe(201);
    expect((await asReport('page.xml', Buffer.from('<html/>'))).status).toBe(201);
    const rows = await fx.prisma.artifact.findMany({ where: { runId, name: 'junit' }, orderBy: { path: 'asc' } });
    expect(rows.map((r) => [r.path, r.testSummary])).toEqual([
      ['notes.txt', null],
      ['page.xml', null],
      ['unit.xml', { version: 1, tests: 3, failures: 1, errors: 0, skipped: 1 }],
    ]);
    const refused = await send('PUT', uploadUrl('junit', 'x.xml', '&report=html'), {
      body: report,
      headers: { 'x-project-id': projectId },
    });
    expect(refused.status).toBe(400);
    expect(refused.json().message).toBe('report "html" is not one of junit');
  });

  it('streams a body sent without Content-Length', async () => {
    const content = randomBytes(700 * 1024);
    const answer = await upload('chunked/blob.bin', content, { chunked: true });
    expect(answer.status).toBe(201);
    expect(answer.json().sha256).toBe(sha256(content));
    expect(sha256(await storage.get(`artifacts/${runId}/test-results/chunked/blob.bin`))).toBe(
      sha256(content),
    );
  });

  it('sets expires_at from expires_ms', async () => {
    const before = Date.now();
    const answer = await send('PUT', uploadUrl('coverage', 'lcov.info', '&expires_ms=86400000'), {
      body: Buffer.from('TN:\n'),
      headers: { 'x-project-id': projectId },
    });
    expect(answer.status).toBe(201);
    const row = await fx.prisma.artifact.findUniqueOrThrow({ where: { id: answer.json().id as string } });
    expect(row.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(row.expiresAt!.getTime()).toBeLessThan(Date.now() + 86_400_000 + 1000);
    expect(row.contentType).toBe('application/octet-stream');
  });

  it('replaces the object and the row when the same path is uploaded again', async () => {
    const first = await upload('dist/app.tar', Buffer.from('first version'));
    const second = await upload('dist/app.tar', Buffer.from('second, longer version'));

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    expect(second.json().sha256).toBe(sha256(Buffer.from('second, longer version')));
    const objectPath = `artifacts/${runId}/test-results/dist/app.tar`;
    expect((await storage.get(objectPath)).toString()).toBe('second, longer version');
    const rows = await fx.prisma.artifact.findMany({ where: { objectPath } });
    expect(rows).toHaveLength(1);
    expect(rows[0].sizeBytes).toBe(BigInt('second, longer version'.length));
  });

  it.each([
    ['a name with capitals', 'Test-Results', 'x.txt', 'artifact name "Test-Results" is invalid'],
    ['a name with a slash', 'a%2Fb', 'x.txt', 'artifact name "a/b" is invalid'],
    ['a name starting with a dot', '.hidden', 'x.txt', 'artifact name ".hidden" is invalid'],
    ['a path climbing out', 'ok', '../../etc/passwd', 'path must not contain ".." segments'],
    ['a path climbing out midway', 'ok', 'a/../../x', 'path must not contain ".." segments'],
    ['an absolute path', 'ok', '/etc/passwd', 'path must be relative'],
    ['a path with a backslash', 'ok', 'a\\..\\b', 'path must not contain backslashes'],
    ['a path with NUL', 'ok', 'a\u0000b', 'path must not contain NUL'],
    ['a path with an empty segment', 'ok', 'a//b', 'path must not contain empty or "." segments'],
    ['an empty path', 'ok', '', 'path is required'],
  ])('refuses %s with 400 and the reason', async (_case, name, path, reason) => {
    const answer = await send(
      'PUT',
      `${service.url}/internal/artifacts/${runId}/${name}?path=${encodeURIComponent(path)}`,
      {
        body: Buffer.from('x'),
        headers: { 'x-project-id': projectId },
      },
    );
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(answer.json().message).toContain(reason);
  });

  it('refuses a malformed run id, project header or expiry with 400 naming each problem', async () => {
    const answer = await send(
      'PUT',
      `${service.url}/internal/artifacts/not-a-uuid/ok?path=a.txt&expires_ms=-5`,
      {
        body: Buffer.from('x'),
        headers: { 'x-project-id': 'nope' },
      },
    );
    expect(answer.status).toBe(400);
    const { message } = answer.json<{ message: string }>();
    expect(message).toContain('runId "not-a-uuid" is not a UUID');
    expect(message).toContain('X-Project-Id header is not a UUID');
    expect(message).toContain('expires_ms "-5" is not a non-negative whole number');

    const missing = await send('PUT', uploadUrl('ok', 'a.txt'), { body: Buffer.from('x') });
    expect(missing.status).toBe(400);
    expect(missing.json().message).toBe('X-Project-Id header is required');
  });

  it('answers 404 for an unknown run and for a run of another project, storing nothing', async () => {
    const unknownRun = await send('PUT', `${service.url}/internal/artifacts/${randomUUID()}/ok?path=a.txt`, {
      body: Buffer.from('x'),
      headers: { 'x-project-id': projectId },
    });
    const otherProject = await send('PUT', uploadUrl('ok', 'a.txt'), {
      body: Buffer.from('x'),
      headers: { 'x-project-id': randomUUID() },
    });
    expect(unknownRun.status).toBe(404);
    expect(unknownRun.json().message).toMatch(/^run [0-9a-f-]+ not found in project/);
    expect(otherProject.status).toBe(404);
    expect(await storage.stat(`artifacts/${runId}/ok/a.txt`)).toBeNull();
  });

  it.each([
    ['declared by Content-Length', false],
    ['sent without Content-Length', true],
  ])('refuses a file over KILN_ARTIFACT_MAX_BYTES %s with 413 and keeps nothing', async (_case, chunked) => {
    const path = `big-${chunked ? 'chunked' : 'declared'}.bin`;
    const answer = await upload(path, randomBytes(MAX_BYTES + 1), { chunked });
    expect(answer.status).toBe(413);
    expect(answer.json()).toMatchObject({
      statusCode: 413,
      error: 'Payload Too Large',
      details: { max_bytes: MAX_BYTES },
    });
    expect(await storage.stat(`artifacts/${runId}/test-results/${path}`)).toBeNull();
    expect(await fx.prisma.artifact.count({ where: { path } })).toBe(0);
  });

  it('stores nothing when the client drops the connection mid-upload, and keeps serving', async () => {
    const { port } = new URL(service.url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `PUT /internal/artifacts/${runId}/test-results?path=dropped.bin HTTP/1.1\r\nHost: x\r\n` +
        `X-Project-Id: ${projectId}\r\nContent-Length: 100000\r\n\r\n`,
    );
    socket.write(randomBytes(30_000));
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 500));

    expect(await storage.stat(`artifacts/${runId}/test-results/dropped.bin`)).toBeNull();
    expect(await fx.prisma.artifact.count({ where: { path: 'dropped.bin' } })).toBe(0);
    expect((await upload('after-drop.txt', Buffer.from('fine'))).status).toBe(201);
  });

  it('accepts a file of exactly KILN_ARTIFACT_MAX_BYTES', async () => {
    const answer = await upload('exact.bin', randomBytes(MAX_BYTES), { chunked: true });
    expect(answer.status).toBe(201);
    expect(answer.json().size_bytes).toBe(MAX_BYTES);
  });

  it('streams a stored artifact back to the project that owns it', async () => {
    const content = randomBytes(50_000);
    const stored = await upload('out/report.pdf', content, { contentType: 'application/pdf' });
    const id = stored.json().id as string;

    const download = await send('GET', `${service.url}/internal/artifacts/${id}/download`, {
      headers: { 'x-project-id': projectId },
    });
    const foreign = await send('GET', `${service.url}/internal/artifacts/${id}/download`, {
      headers: { 'x-project-id': randomUUID() },
    });

    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toContain('filename="report.pdf"');
    expect(sha256(download.body)).toBe(sha256(content));
    expect(foreign.status).toBe(404);
  });

  it('reports ready once its database and storage answer', async () => {
    const ready = await send('GET', `${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, storage: { status: 'up' } },
    });
  });

  it('counts stored files and bytes in /metrics', async () => {
    const metrics = (await send('GET', `${service.url}/metrics`)).body.toString();
    expect(metrics).toMatch(/^kiln_artifacts_stored_total\{[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^kiln_artifacts_bytes_total\{[^}]*\} [1-9]/m);
  });
});

describe('artifact-service internal token', () => {
  let fx: Fixture;
  let service: ArtifactService;

  beforeAll(async () => {
    fx = await createFixture();
    service = await startArtifactService({ DATABASE_URL: fx.db.url, KILN_DATA_DIR: fx.dataDir });
  });

  afterAll(async () => {
    await service?.stop();
    await fx?.cleanUp();
  });

  it('answers 401 to uploads and downloads without the right X-Kiln-Internal-Token and accepts the right one', async () => {
    const { projectId, runId } = await createRun(fx.prisma);
    const url = `${service.url}/internal/artifacts/${runId}/logs?path=a.txt`;
    const headers = { 'x-project-id': projectId };

    const missing = await send('PUT', url, { body: Buffer.from('x'), headers, token: null });
    const wrong = await send('PUT', url, { body: Buffer.from('x'), headers, token: 'guess' });
    const right = await send('PUT', url, { body: Buffer.from('x'), headers });
    const id = right.json<{ id: string }>().id;
    const download = `${service.url}/internal/artifacts/${id}/download`;
    const unauthenticatedDownload = await send('GET', download, { headers, token: null });
    const downloaded = await send('GET', download, { headers });

    expect(missing.status).toBe(401);
    expect(missing.json().message).toContain('X-Kiln-Internal-Token header is required');
    expect(wrong.status).toBe(401);
    expect(wrong.json().message).toContain('X-Kiln-Internal-Token header is wrong');
    expect(right.status).toBe(201);
    expect(unauthenticatedDownload.status).toBe(401);
    expect(downloaded.status).toBe(200);
    expect(downloaded.body.toString()).toBe('x');
  });

  it('refuses to start without KILN_INTERNAL_TOKEN, naming the variable', async () => {
    await expect(
      startArtifactService({ DATABASE_URL: fx.db.url, KILN_DATA_DIR: fx.dataDir, KILN_INTERNAL_TOKEN: '' }),
    ).rejects.toThrow(/KILN_INTERNAL_TOKEN \(unset\)/);
  });
});

describe('artifact-service on S3', () => {
  let fx: Fixture;
  let s3: RunningS3Server;
  let service: ArtifactService;

  beforeAll(async () => {
    fx = await createFixture();
    s3 = await startS3Server();
    service = await startArtifactService({
      DATABASE_URL: fx.db.url,
      KILN_STORAGE_DRIVER: 's3',
      KILN_S3_ENDPOINT: s3.endPoint,
      KILN_S3_PORT: String(s3.port),
      KILN_S3_USE_SSL: 'false',
      KILN_S3_ACCESS_KEY: s3.accessKey,
      KILN_S3_SECRET_KEY: s3.secretKey,
      KILN_S3_BUCKET: s3.bucket,
    });
  });

  afterAll(async () => {
    await service?.stop();
    await s3?.stop();
    await fx?.cleanUp();
  });

  it('stores a multi-part-sized file in the bucket with its content type', async () => {
    const { projectId, runId } = await createRun(fx.prisma);
    const content = randomBytes(10 * 1024 * 1024);
    const answer = await send('PUT', `${service.url}/internal/artifacts/${runId}/image?path=layer.tar`, {
      body: content,
      chunked: true,
      headers: { 'x-project-id': projectId, 'content-type': 'application/x-tar' },
    });

    expect(answer.status).toBe(201);
    expect(answer.json().sha256).toBe(sha256(content));
    const bucket = createStorage({
      driver: 's3',
      endPoint: s3.endPoint,
      port: s3.port,
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: s3.bucket,
    });
    const key = `artifacts/${runId}/image/layer.tar`;
    expect(sha256(await bucket.get(key))).toBe(sha256(content));
    expect((await bucket.stat(key))?.contentType).toBe('application/x-tar');
  });
});
