import { createStorage, ObjectStorage } from '@kiln/storage';
import { RunningS3Server, startS3Server } from '@kiln/testing';
import { createHash } from 'node:crypto';
import {
  ArchiverApp,
  ArchiverFixture,
  createArchiverFixture,
  createStep,
  logKey,
  publishBigLog,
  startArchiver,
  waitForLogRef,
} from './log-archiver.harness';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('log-archiver on S3', () => {
  let s3: RunningS3Server;
  let fx: ArchiverFixture;
  let archiver: ArchiverApp;
  let bucket: ObjectStorage;

  beforeAll(async () => {
    s3 = await startS3Server();
    fx = await createArchiverFixture({
      KILN_STORAGE_DRIVER: 's3',
      KILN_S3_ENDPOINT: s3.endPoint,
      KILN_S3_PORT: String(s3.port),
      KILN_S3_USE_SSL: 'false',
      KILN_S3_ACCESS_KEY: s3.accessKey,
      KILN_S3_SECRET_KEY: s3.secretKey,
      KILN_S3_BUCKET: s3.bucket,
    });
    archiver = await startArchiver(fx.env);
    bucket = createStorage({
      driver: 's3',
      endPoint: s3.endPoint,
      port: s3.port,
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: s3.bucket,
    });
  });

  afterAll(async () => {
    await archiver?.stop();
    await fx?.cleanUp();
    await s3?.stop();
  });

  it('archives a short log as text/plain in the bucket', async () => {
    const step = await createStep(fx.prisma, 'lint');
    await fx.publisher.chunk(step, 0, ['eslint .', '0 problems']);
    await fx.publisher.chunk(step, 1, ['exit 0'], { final: true });
    await fx.publisher.finished(step, { logChunks: 2 });

    const { logRef } = await waitForLogRef(fx.publisher, step.stepId);
    expect(logRef).toBe(logKey(step));
    expect((await bucket.get(logRef)).toString()).toBe('eslint .\n0 problems\nexit 0\n');
    expect((await bucket.stat(logRef))?.contentType).toBe('text/plain; charset=utf-8');
  });

  it('archives a log larger than one upload part (multipart) intact', async () => {
    const step = await createStep(fx.prisma, 'build');
    const expected = await publishBigLog(fx, step, 1000, 100);
    await fx.publisher.finished(step, { logChunks: 1000 });

    const { logRef, logBytes } = await waitForLogRef(fx.publisher, step.stepId, 60_000);
    const archived = await bucket.get(logRef);
    expect(archived.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(sha256(archived)).toBe(sha256(expected));
    expect(logBytes).toBe(BigInt(archived.length));
  });
});
