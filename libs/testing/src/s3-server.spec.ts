import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { findMotoServer, startMotoServer, startS3Server } from './s3-server';

const s3rverDirs = () => new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('kiln-s3rver-')));

describe('S3 test servers', () => {
  it('starts s3rver with its bucket, and stop ends it and removes its data', async () => {
    const before = s3rverDirs();
    const server = await startS3Server();
    const res = await fetch(`${server.url}/${server.bucket}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    const created = [...s3rverDirs()].filter((d) => !before.has(d));
    expect(created).toHaveLength(1);
    await server.stop();
    await expect(fetch(server.url)).rejects.toThrow();
    expect(existsSync(`${tmpdir()}/${created[0]}`)).toBe(false);
    await expect(server.stop()).resolves.toBeUndefined();
  });

  it('runs several s3rver instances side by side', async () => {
    const [a, b] = await Promise.all([startS3Server(), startS3Server()]);
    expect(a.port).not.toBe(b.port);
    expect(a.bucket).not.toBe(b.bucket);
    await Promise.all([a.stop(), b.stop()]);
  });

  (findMotoServer() ? it : it.skip)('starts moto_server with its bucket, and stop ends it', async () => {
    const server = await startMotoServer();
    expect((await fetch(`${server.url}/${server.bucket}`, { method: 'HEAD' })).status).toBe(200);
    await server.stop();
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
