import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Backend } from '../backend/backend';
import { packPaths, unpackInto } from '../backend/workspace-archive';
import { ExecutorConfig } from '../config';
import { CacheStep, StepCachesService } from './step-caches.service';

/** The artifact-service failing mid-transfer: a cache must end up as a log line, never a crash or a hang. */
describe('StepCachesService when the artifact-service fails', () => {
  let dir: string;
  let server: Server | undefined;
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => {
    process.on('unhandledRejection', record);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => process.removeListener('unhandledRejection', record));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-cache-faults-'));
    unhandled.length = 0;
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  const backend = () =>
    ({
      kind: 'local',
      readWorkspace: (_runId: string, paths: string[]) => packPaths(dir, paths),
      writeWorkspace: (_runId: string, archive: Readable) => unpackInto(dir, archive),
    }) as unknown as Backend;
  const caches = (baseUrl: string) =>
    new StepCachesService(backend(), { KILN_ARTIFACT_SERVICE_URL: baseUrl, KILN_INTERNAL_TOKEN: 'token' } as ExecutorConfig);
  const step: CacheStep = {
    runId: randomUUID(),
    projectId: randomUUID(),
    branch: 'main',
    cache: [{ key: 'deps-v1', restoreKeys: [], paths: ['deps'] }],
  };
  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('reports a save the service refuses to connect for as a line, with no unhandled rejection', async () => {
    mkdirSync(join(dir, 'deps'));
    writeFileSync(join(dir, 'deps', 'big'), Buffer.alloc(4 << 20, 7));
    const closed = await listen(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;

    const lines = await caches(closed).save(step, { entries: [{ key: 'deps-v1', paths: ['deps'], hit: false }], lines: [] });

    expect(lines).toEqual([expect.stringMatching(/^cache not saved \(deps-v1\): .*ECONNREFUSED/)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(unhandled).toEqual([]);
  });

  it('reports a download cut midway as not restored, instead of waiting for the rest', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': '10000000', 'x-kiln-cache-key': 'deps-v1' });
      // Part of a gzipped stream, then the connection drops.
      const gzip = createGzip();
      gzip.on('data', (piece: Buffer) => res.write(piece));
      gzip.write(Buffer.alloc(1 << 20, 1));
      gzip.flush(() => setTimeout(() => res.socket?.destroy(), 50));
    });

    const plan = await caches(url).restore(step);

    // Not a hit: the step's cache is saved again afterwards.
    expect(plan.entries).toEqual([{ key: 'deps-v1', paths: ['deps'], hit: false }]);
    expect(plan.lines).toEqual([expect.stringMatching(/^cache not restored \(deps-v1\): /)]);
    expect(unhandled).toEqual([]);
  }, 15_000);
});
