import { createStorage, ObjectStorage } from '@kiln/storage';
import { RunningApps, startApps } from '@kiln/testing';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArchiverFixture,
  createArchiverFixture,
  createStep,
  lines,
  publishBigLog,
  startArchiver,
  waitForLogRef,
  archivedLogs,
} from './log-archiver.harness';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('log-archiver restarts', () => {
  let fx: ArchiverFixture;
  let storage: ObjectStorage;

  beforeAll(async () => {
    fx = await createArchiverFixture();
    storage = createStorage({ driver: 'fs', root: join(fx.dataDir, 'objects') });
  });

  afterAll(async () => {
    await fx?.cleanUp();
  });

  it('archives every line exactly once when the archiver was replaced while the step ran', async () => {
    const step = await createStep(fx.prisma, 'restarted');
    const first = await startArchiver(fx.env);
    await fx.publisher.chunk(step, 0, lines('before restart', 3));
    await fx.publisher.chunk(step, 1, lines('still before', 2));
    await first.stop();

    const second = await startArchiver(fx.env);
    try {
      await fx.publisher.chunk(step, 2, lines('after restart', 3), { final: true });
      await fx.publisher.finished(step, { logChunks: 3 });

      const { logRef } = await waitForLogRef(fx.publisher, step.stepId);
      const expected = [
        ...lines('before restart', 3),
        ...lines('still before', 2),
        ...lines('after restart', 3),
      ];
      expect((await storage.get(logRef)).toString()).toBe(expected.map((l) => `${l}\n`).join(''));
    } finally {
      await second.stop();
    }
  });

  describe('as a process killed with SIGKILL mid-archive', () => {
    let apps: RunningApps | undefined;

    afterAll(async () => {
      await apps?.stop();
    });

    it('archives the whole log after the redelivery to a restarted process', async () => {
      apps = await startApps(['log-archiver'], fx.env);
      const step = await createStep(fx.prisma, 'killed');
      const expected = await publishBigLog(fx, step, 2000, 100);
      const published = Date.now();
      await fx.publisher.finished(step, { logChunks: 2000 });

      // The log is uploaded as it is read: a file in the fs store's staging folder is an archive in progress.
      const staging = join(fx.dataDir, 'objects', '.kiln-uploads');
      await waitUntil(() => existsSync(staging) && readdirSync(staging).length > 0, 10_000, 5);
      await apps.kill('log-archiver', 'SIGKILL');
      expect(await archivedLogs(fx.publisher, step.stepId, () => true, 1_000)).toEqual([]);

      await apps.start('log-archiver');
      const { logRef, logBytes } = await waitForLogRef(fx.publisher, step.stepId, 45_000);

      const archived = await storage.get(logRef);
      expect(archived.length).toBe(Buffer.byteLength(expected));
      expect(sha256(archived)).toBe(sha256(expected));
      expect(logBytes).toBe(BigInt(archived.length));
      console.log(
        `${archived.length} byte log archived ${Date.now() - published} ms after step.finished, SIGKILL mid-archive included`,
      );
    }, 90_000);
  });
});

async function waitUntil(check: () => boolean, timeoutMs: number, everyMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
