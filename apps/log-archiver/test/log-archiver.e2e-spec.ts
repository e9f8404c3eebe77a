import { createStorage, LogTimesDecoder, logTimesKey, ObjectStorage, stepLogKey } from '@kiln/storage';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  ArchiverApp,
  ArchiverFixture,
  archivedLogs,
  counterValue,
  createArchiverFixture,
  createStep,
  eventually,
  lines,
  logKey,
  startArchiver,
  waitForLogRef,
} from './log-archiver.harness';

const text = (all: string[]) => all.map((l) => `${l}\n`).join('');

describe('log-archiver', () => {
  let fx: ArchiverFixture;
  let archiver: ArchiverApp;
  let storage: ObjectStorage;

  beforeAll(async () => {
    fx = await createArchiverFixture();
    archiver = await startArchiver(fx.env);
    storage = createStorage({ driver: 'fs', root: join(fx.dataDir, 'objects') });
  });

  afterAll(async () => {
    await archiver?.stop();
    await fx?.cleanUp();
  });

  it('archives a step log from in-order chunks and records log_ref and log_bytes', async () => {
    const step = await createStep(fx.prisma);
    const before = Date.now();
    const all = [...lines('compile', 3), ...lines('link', 2), 'done: exit 0'];
    await fx.publisher.chunk(step, 0, all.slice(0, 3));
    await fx.publisher.chunk(step, 1, all.slice(3, 5));
    await fx.publisher.chunk(step, 2, all.slice(5), { final: true });
    await fx.publisher.finished(step, { logChunks: 3 });

    const { logRef, logBytes } = await waitForLogRef(fx.publisher, step.stepId);

    expect(logRef).toBe(logKey(step));
    const archived = (await storage.get(logRef)).toString();
    expect(archived).toBe(text(all));
    expect(logBytes).toBe(BigInt(Buffer.byteLength(archived)));
    // Each line's time, read when it was published, is kept beside the log (docs/logs.md).
    const times = new LogTimesDecoder().push((await storage.get(logTimesKey(logRef))).toString());
    expect(times).toHaveLength(all.length);
    for (const ts of times) expect(ts).toBeGreaterThanOrEqual(before);
    expect([...times].sort()).toEqual(times);
  });

  it('stores bytes of a chunk that are not UTF-8 as they read: U+FFFD for each bad sequence', async () => {
    const step = await createStep(fx.prisma, 'bytes');
    await fx.publisher.rawChunk(step, 0, 3, Buffer.from([0x6f, 0x6b, 0x0a, 0xff, 0x0a, 0xc3, 0x21, 0x0a]));
    await fx.publisher.finished(step, { logChunks: 1 });

    const { logRef, logBytes } = await waitForLogRef(fx.publisher, step.stepId);

    const archived = await storage.get(logRef);
    expect(archived).toEqual(Buffer.from('ok\n\ufffd\n\ufffd!\n'));
    expect(logBytes).toBe(BigInt(archived.length));
  });

  it('writes each line once when chunks were published twice', async () => {
    const step = await createStep(fx.prisma, 'test');
    await fx.publisher.chunk(step, 0, ['a']);
    await fx.publisher.chunk(step, 1, ['b']);
    await fx.publisher.chunk(step, 1, ['b'], { msgKey: ':again' });
    await fx.publisher.chunk(step, 0, ['a'], { msgKey: ':again' });
    await fx.publisher.chunk(step, 2, ['c'], { final: true });
    await fx.publisher.chunk(step, 2, ['c'], { final: true, msgKey: ':again' });
    await fx.publisher.finished(step, { logChunks: 3 });

    const { logRef } = await waitForLogRef(fx.publisher, step.stepId);
    expect((await storage.get(logRef)).toString()).toBe('a\nb\nc\n');
  });

  it('keeps every attempt of a retried step, each exactly once, and announces each attempt\u2019s log', async () => {
    const step = await createStep(fx.prisma, 'flaky', 2);
    await fx.publisher.chunk(step, 0, ['attempt 1: start']);
    await fx.publisher.chunk(step, 1, ['attempt 1: boom'], { final: true });
    await fx.publisher.chunk(step, 0, ['attempt 2: start'], { attempt: 2 });
    await fx.publisher.chunk(step, 1, ['attempt 2: ok'], { attempt: 2, final: true });
    await fx.publisher.finished(step, { attempt: 2, logChunks: 2 });

    const { logRef } = await waitForLogRef(fx.publisher, step.stepId);
    expect(logRef).toBe(stepLogKey(step.runId, 'flaky', 2));
    expect((await storage.get(logRef)).toString()).toBe('attempt 2: start\nattempt 2: ok\n');

    // The first attempt's event arriving after the retry's still archives that attempt, beside it.
    await fx.publisher.finished(step, { attempt: 1, logChunks: 2 });
    const first = stepLogKey(step.runId, 'flaky', 1);
    await eventually(async () => (await storage.stat(first)) !== null);
    expect((await storage.get(first)).toString()).toBe('attempt 1: start\nattempt 1: boom\n');
    // Announced as attempt 1's: the scheduler keeps log_ref on the step's current attempt.
    const announced = await archivedLogs(
      fx.publisher,
      step.stepId,
      (e) => e.some((a) => a.attempt === 1),
      20_000,
    );
    expect(announced.map((a) => [a.attempt, a.logRef])).toEqual([
      [2, logRef],
      [1, first],
    ]);
    expect((await storage.get(logRef)).toString()).toBe('attempt 2: start\nattempt 2: ok\n');
  });

  it('archives a 5 MB log completely', async () => {
    const step = await createStep(fx.prisma, 'big');
    const chunkCount = 1000;
    const perChunk = 50;
    const expected: string[] = [];
    const started = Date.now();
    // Published 50 at a time, so chunks also land in the stream out of seq order.
    for (let batch = 0; batch < chunkCount; batch += 50) {
      const sends: Promise<void>[] = [];
      for (let seq = batch; seq < batch + 50; seq++) {
        const chunkLines = Array.from({ length: perChunk }, (_, i) => `${seq}:${i} ${'x'.repeat(100)}`);
        expected.push(...chunkLines);
        sends.push(fx.publisher.chunk(step, seq, chunkLines, { final: seq === chunkCount - 1 }));
      }
      await Promise.all(sends);
    }
    const published = Date.now();
    await fx.publisher.finished(step, { logChunks: chunkCount });

    const { logRef, logBytes } = await waitForLogRef(fx.publisher, step.stepId, 60_000);
    const archivedMs = Date.now() - published;

    const archived = await storage.get(logRef);
    const want = Buffer.from(text(expected));
    expect(archived.length).toBeGreaterThan(5_000_000);
    expect(archived.length).toBe(want.length);
    expect(createHash('sha256').update(archived).digest('hex')).toBe(
      createHash('sha256').update(want).digest('hex'),
    );
    expect(logBytes).toBe(BigInt(want.length));
    console.log(
      `5 MB log: ${chunkCount} chunks, ${want.length} bytes; published in ${published - started} ms, archived ${archivedMs} ms after step.finished`,
    );
  });

  it('rewrites the same object and log_ref when step.finished is handled twice', async () => {
    const step = await createStep(fx.prisma, 'twice');
    await fx.publisher.chunk(step, 0, ['only line'], { final: true });
    const before = await counterValue(archiver.url, 'kiln_archiver_logs_archived_total');
    await fx.publisher.finished(step, { logChunks: 1 });
    await fx.publisher.finished(step, { logChunks: 1, msgKey: ':redelivered' });

    await eventually(
      async () => (await counterValue(archiver.url, 'kiln_archiver_logs_archived_total')) >= before + 2,
    );

    const { logRef } = await waitForLogRef(fx.publisher, step.stepId);
    expect(logRef).toBe(logKey(step));
    expect((await storage.get(logRef)).toString()).toBe('only line\n');
    const objects: string[] = [];
    for await (const o of storage.list(`logs/pipelines/${step.runId}/`)) objects.push(o.key);
    // The log and its times object, once each.
    expect(objects).toEqual([logKey(step), logTimesKey(logKey(step))]);
  });

  it('archives what exists when the scheduler ended the step for a lost executor', async () => {
    const step = await createStep(fx.prisma, 'lost');
    await fx.publisher.chunk(step, 0, ['working', 'still working']);
    await fx.publisher.chunk(step, 1, ['then silence']);
    const started = Date.now();
    await fx.publisher.finished(step);

    const { logRef } = await waitForLogRef(fx.publisher, step.stepId);
    expect((await storage.get(logRef)).toString()).toBe('working\nstill working\nthen silence\n');
    // Caught up with the stream: no waiting for chunks that will never come.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('archives an empty log for a lost executor that published nothing', async () => {
    const step = await createStep(fx.prisma, 'silent');
    const started = Date.now();
    await fx.publisher.finished(step);

    const { logRef, logBytes } = await waitForLogRef(fx.publisher, step.stepId);
    expect((await storage.get(logRef)).toString()).toBe('');
    expect(logBytes).toBe(0n);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('retries a log with missing chunks, then archives what exists with the gap marked', async () => {
    const step = await createStep(fx.prisma, 'gappy');
    await fx.publisher.chunk(step, 0, ['zero']);
    await fx.publisher.chunk(step, 1, ['one']);
    await fx.publisher.chunk(step, 3, ['three'], { final: true });
    const started = Date.now();
    await fx.publisher.finished(step, { logChunks: 4 });

    const { logRef } = await waitForLogRef(fx.publisher, step.stepId, 30_000);
    // Not archived on the first delivery: the gap was retried for a few seconds first.
    expect(Date.now() - started).toBeGreaterThan(5_000);
    expect((await storage.get(logRef)).toString()).toBe(
      'zero\none\n[log incomplete: chunks 2..2 missing]\nthree\n',
    );
    expect(await counterValue(archiver.url, 'kiln_archiver_logs_archived_total')).toBeGreaterThan(0);
  }, 40_000);

  it('reports ready once its database, NATS and storage answer', async () => {
    const ready = await fetch(`${archiver.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, nats: { status: 'up' }, storage: { status: 'up' } },
    });
  });

  it('exposes its metrics', async () => {
    const metrics = await (await fetch(`${archiver.url}/metrics`)).text();
    expect(metrics).toMatch(/^kiln_archiver_logs_archived_total\{[^}]*outcome="complete"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^kiln_archiver_logs_archived_total\{[^}]*outcome="incomplete"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^kiln_archiver_bytes_total\{[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^kiln_archiver_archive_seconds_count\{[^}]*\} [1-9]/m);
  });
});
