import { LogChunkEvent, logSubjectSuffix, Subjects } from '@kiln/contracts';
import { LogTimesEncoder, logTimesKey, OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { RunningS3Server, startS3Server } from '@kiln/testing';
import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';
import { openSse } from './sse-client';

describe('step logs', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  const logsUrl = (runId: string, stepId: string) =>
    `/api/projects/${projectId}/runs/${runId}/steps/${stepId}/logs`;

  async function publish(
    runId: string,
    stepId: string,
    seq: number,
    texts: string[],
    final = false,
    exitCode?: number,
    attempt = 1,
  ) {
    const chunk: LogChunkEvent = {
      version: 2,
      runId,
      stepId,
      stepName: 'build',
      attempt,
      seq,
      text: texts.map((text) => `${text}\n`).join(''),
      spans: texts.map((_, i) => ({ ts: 1_700_000_000_000 + seq * 10 + i, stream: 'stdout', lines: 1 })),
      final,
      ...(exitCode === undefined ? {} : { exitCode }),
    };
    await gw.messaging.publish(Subjects.Logs, chunk, {
      msgId: `log:${stepId}:${attempt}:${seq}`,
      suffix: logSubjectSuffix(runId, stepId),
    });
  }

  async function archive(runId: string, text: string): Promise<string> {
    const key = `logs/pipelines/${runId}/build.log`;
    await gw.app.get<ObjectStorage>(OBJECT_STORAGE).put(key, text);
    return key;
  }

  it('gives a late joiner the log from the first line, then live lines, then the end with the exit code', async () => {
    const { runId, stepIds } = await gw.insertRun(projectId, { status: 'running' });
    const stepId = stepIds[0]!;
    await publish(runId, stepId, 0, ['line 0', 'line 1']);
    await publish(runId, stepId, 1, ['line 2']);

    const sse = await openSse(`${gw.url}${logsUrl(runId, stepId)}`, bearer(owner.token));
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toContain('text/event-stream');
    const replayed = [await sse.next(), await sse.next(), await sse.next()];
    expect(replayed.map((e) => JSON.parse(e.data).text)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(JSON.parse(replayed[0]!.data)).toEqual({
      ts: 1_700_000_000_000,
      stream: 'stdout',
      text: 'line 0',
    });

    await publish(runId, stepId, 2, ['live 3']);
    expect(JSON.parse((await sse.next()).data).text).toBe('live 3');
    await publish(runId, stepId, 3, ['last'], true, 7);
    expect(JSON.parse((await sse.next()).data).text).toBe('last');
    const end = await sse.next();
    expect(end).toMatchObject({ event: 'end' });
    expect(JSON.parse(end.data)).toEqual({ exit_code: 7 });
    await sse.ended;
  });

  it('lets a reconnecting client continue after Last-Event-ID', async () => {
    const { runId, stepIds } = await gw.insertRun(projectId, { status: 'running' });
    await publish(runId, stepIds[0]!, 0, ['a', 'b', 'c'], true, 0);
    const sse = await openSse(`${gw.url}${logsUrl(runId, stepIds[0]!)}`, {
      ...bearer(owner.token),
      'Last-Event-ID': '1',
    });
    const next = await sse.next();
    expect(next).toMatchObject({ id: '2' });
    expect(JSON.parse(next.data).text).toBe('c');
    expect((await sse.next()).event).toBe('end');
  });

  it('ends the stream when the step ended without a final chunk (lost executor)', async () => {
    const { runId, stepIds } = await gw.insertRun(projectId, { status: 'running' });
    await publish(runId, stepIds[0]!, 0, ['started']);
    const sse = await openSse(`${gw.url}${logsUrl(runId, stepIds[0]!)}?follow=true`, bearer(owner.token));
    expect(JSON.parse((await sse.next()).data).text).toBe('started');
    await gw.prisma.step.update({
      where: { id: stepIds[0]! },
      data: { status: 'failed', exitCode: null, error: 'executor lost' },
    });
    const end = await sse.next(6000);
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toEqual({ exit_code: null });
  });

  it('shows only the latest attempt of a step that ran again', async () => {
    const { runId, stepIds } = await gw.insertRun(projectId, { status: 'running' });
    const stepId = stepIds[0]!;
    await publish(runId, stepId, 0, ['first try'], true, 1, 1);
    await gw.prisma.step.update({ where: { id: stepId }, data: { attempt: 2 } });
    await publish(runId, stepId, 0, ['second try'], false, undefined, 2);
    const text = await gw.http().get(logsUrl(runId, stepId)).set(bearer(owner.token));
    expect(text.text).toBe('second try\n');
    const sse = await openSse(`${gw.url}${logsUrl(runId, stepId)}`, bearer(owner.token));
    expect(JSON.parse((await sse.next()).data).text).toBe('second try');
    await publish(runId, stepId, 1, ['done'], true, 0, 2);
    expect(JSON.parse((await sse.next()).data).text).toBe('done');
    expect(JSON.parse((await sse.next()).data)).toEqual({ exit_code: 0 });
  });

  it('answers the lines so far as text while the step runs', async () => {
    const { runId, stepIds } = await gw.insertRun(projectId, { status: 'running' });
    await publish(runId, stepIds[0]!, 0, ['one', 'two']);
    await publish(runId, stepIds[0]!, 1, ['three']);
    const res = await gw.http().get(logsUrl(runId, stepIds[0]!)).set(bearer(owner.token));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toBe('one\ntwo\nthree\n');
    const tail = await gw
      .http()
      .get(`${logsUrl(runId, stepIds[0]!)}?tail=1`)
      .set(bearer(owner.token));
    expect(tail.text).toBe('three\n');
    const timed = await gw
      .http()
      .get(`${logsUrl(runId, stepIds[0]!)}?timestamps=true&tail=2`)
      .set(bearer(owner.token));
    expect(timed.text).toBe(
      `${new Date(1_700_000_000_001).toISOString()} two\n${new Date(1_700_000_000_010).toISOString()} three\n`,
    );
    expect(timed.headers['x-log-bytes']).toBe(String(Buffer.byteLength('two\nthree\n')));
  });

  it("serves an archived log's times: in events, and as text with timestamps=true", async () => {
    const { runId, stepIds } = await gw.insertRun(projectId, {
      status: 'succeeded',
      steps: [{ name: 'build', status: 'succeeded', exitCode: 0 }],
    });
    const plain = 'one\n[log incomplete: chunks 1..1 missing]\nthree\n';
    const key = await archive(runId, plain);
    const encoder = new LogTimesEncoder();
    const times = encoder.encode(1_765_000_000_000) + encoder.encode(null) + encoder.encode(1_765_000_001_500);
    await gw.app.get<ObjectStorage>(OBJECT_STORAGE).put(logTimesKey(key), times);
    await gw.prisma.step.update({ where: { id: stepIds[0]! }, data: { logRef: key } });
    const url = logsUrl(runId, stepIds[0]!);

    const sse = await openSse(`${gw.url}${url}`, bearer(owner.token));
    const events = [await sse.next(), await sse.next(), await sse.next()].map((e) => JSON.parse(e.data));
    expect(events).toEqual([
      { ts: 1_765_000_000_000, stream: 'stdout', text: 'one' },
      { ts: null, stream: 'stdout', text: '[log incomplete: chunks 1..1 missing]' },
      { ts: 1_765_000_001_500, stream: 'stdout', text: 'three' },
    ]);

    const whole = await gw.http().get(`${url}?timestamps=true`).set(bearer(owner.token)).set('Range', 'bytes=0-2');
    expect(whole.status).toBe(200);
    expect(whole.headers['x-log-bytes']).toBe(String(Buffer.byteLength(plain)));
    expect(whole.text).toBe(
      '2025-12-06T05:46:40.000Z one\n- [log incomplete: chunks 1..1 missing]\n2025-12-06T05:46:41.500Z three\n',
    );
    const tail = await gw.http().get(`${url}?timestamps=1&tail=1`).set(bearer(owner.token));
    expect(tail.text).toBe('2025-12-06T05:46:41.500Z three\n');

    const bad = await gw.http().get(`${url}?timestamps=maybe`).set(bearer(owner.token));
    expect(bad.status).toBe(400);
  });

  it('serves an archived log as text, with byte ranges and a tail', async () => {
    const { runId, stepIds } = await gw.insertRun(projectId, {
      status: 'succeeded',
      steps: [{ name: 'build', status: 'succeeded', exitCode: 0 }],
    });
    const text = Array.from({ length: 100 }, (_, i) => `archived ${i}`).join('\n') + '\n';
    const key = await archive(runId, text);
    await gw.prisma.step.update({ where: { id: stepIds[0]! }, data: { logRef: key } });
    const url = logsUrl(runId, stepIds[0]!);

    const whole = await gw.http().get(url).set(bearer(owner.token));
    expect(whole.status).toBe(200);
    expect(whole.text).toBe(text);
    expect(whole.headers['accept-ranges']).toBe('bytes');

    const part = await gw.http().get(url).set(bearer(owner.token)).set('Range', 'bytes=0-9');
    expect(part.status).toBe(206);
    expect(part.text).toBe('archived 0');
    expect(part.headers['content-range']).toBe(`bytes 0-9/${Buffer.byteLength(text)}`);

    const beyond = await gw.http().get(url).set(bearer(owner.token)).set('Range', 'bytes=999999-');
    expect(beyond.status).toBe(416);
    expect(beyond.body).toMatchObject({ statusCode: 416, error: 'Range Not Satisfiable' });

    const tail = await gw.http().get(`${url}?tail=2`).set(bearer(owner.token));
    expect(tail.text).toBe('archived 98\narchived 99\n');

    const sse = await openSse(`${gw.url}${url}`, bearer(owner.token));
    const first = await sse.next();
    expect(JSON.parse(first.data)).toMatchObject({ text: 'archived 0' });
    for (let i = 1; i < 100; i++) await sse.next();
    const end = await sse.next();
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toEqual({ exit_code: 0 });
  });

  it('answers 404 for an unknown step and for a step of another run', async () => {
    const one = await gw.insertRun(projectId, { status: 'running' });
    const two = await gw.insertRun(projectId, { status: 'running' });
    const unknown = await gw
      .http()
      .get(logsUrl(one.runId, '00000000-0000-4000-8000-000000000000'))
      .set(bearer(owner.token));
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('step');
    const crossed = await gw.http().get(logsUrl(one.runId, two.stepIds[0]!)).set(bearer(owner.token));
    expect(crossed.status).toBe(404);
  });
});

describe('archived logs on S3', () => {
  let s3: RunningS3Server;
  let gw: Gateway;
  beforeAll(async () => {
    s3 = await startS3Server();
    gw = await startGateway({
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
    await gw?.stop();
    await s3?.stop();
  });

  it('redirects to a presigned URL that serves the log', async () => {
    const project = await gw.createProject(gw.admin);
    const { runId, stepIds } = await gw.insertRun(project.id, { status: 'succeeded' });
    const key = `logs/pipelines/${runId}/build.log`;
    await gw.app.get<ObjectStorage>(OBJECT_STORAGE).put(key, 'from s3\n', { contentType: 'text/plain' });
    await gw.prisma.step.update({ where: { id: stepIds[0]! }, data: { logRef: key } });
    const res = await gw
      .http()
      .get(`/api/projects/${project.id}/runs/${runId}/steps/${stepIds[0]}/logs`)
      .set(bearer(gw.admin.token));
    expect(res.status).toBe(302);
    expect(res.headers.location).toContain(s3.bucket);
    const followed = await fetch(res.headers.location!);
    expect(await followed.text()).toBe('from s3\n');
  });
});
