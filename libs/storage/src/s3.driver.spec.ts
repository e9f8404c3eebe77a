import { freePort, RunningS3Server, startS3Server } from '@kiln/testing';
import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';
import { S3ObjectStorage } from './s3.driver';
import {
  configFor,
  describeStorageContract,
  randomStream,
  readAll,
  sha256,
} from './storage-contract.spec-helper';

describeStorageContract('s3 driver on s3rver', async () => {
  const server = await startS3Server();
  return {
    storage: new S3ObjectStorage(configFor(server)),
    kind: 's3',
    quirks: ['unsorted-listing', 'raw-listing-keys', 'range-end-zero-ignored'],
    cleanUp: server.stop,
  };
});

describe('s3 driver', () => {
  let server: RunningS3Server;

  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(() => server?.stop());

  it('creates its bucket on first use, once, even when asked concurrently', async () => {
    const bucket = `kiln-fresh-${randomBytes(4).toString('hex')}`;
    const storage = new S3ObjectStorage(configFor(server, { bucket }));
    await Promise.all([
      storage.ensureReady(),
      storage.ensureReady(),
      storage.put('a', 'a'),
      storage.stat('a'),
    ]);
    await expect(storage.ping()).resolves.toBeUndefined();
    const again = new S3ObjectStorage(configFor(server, { bucket }));
    await expect(again.ensureReady()).resolves.toBeUndefined();
    expect((await again.get('a')).toString()).toBe('a');
  });

  it('uploads a body larger than the part size in parts and reads back every byte', async () => {
    const storage = new S3ObjectStorage(configFor(server, { partSize: 5 * 1024 * 1024 }));
    const { stream, sha256: expected } = randomStream(16 * 1024 * 1024 + 3);
    await expect(storage.put('multi/part.bin', stream)).resolves.toEqual({
      size: 16 * 1024 * 1024 + 3,
      sha256: expected,
    });
    const tail = await readAll(await storage.stream('multi/part.bin', { start: 15 * 1024 * 1024 }));
    expect(tail.length).toBe(1024 * 1024 + 3);
    expect(sha256(await storage.get('multi/part.bin'))).toBe(expected);
  });

  it('refuses a part size S3 would reject', () => {
    expect(() => new S3ObjectStorage(configFor(server, { partSize: 1024 * 1024 }))).toThrow(RangeError);
  });

  it('refuses a presign lifetime outside 1 s to 7 days', async () => {
    const storage = new S3ObjectStorage(configFor(server));
    await expect(storage.presignGet('a', 0)).rejects.toThrow(RangeError);
    await expect(storage.presignGet('a', 8 * 24 * 3600)).rejects.toThrow(RangeError);
  });

  it('fails its readiness ping while the server is unreachable', async () => {
    const closedPort = await freePort();
    const storage = new S3ObjectStorage(configFor(server, { port: closedPort }));
    await expect(storage.ping()).rejects.toThrow();
  });

  it('gives up on a server that accepts the connection and never answers, and tries again on the next call', async () => {
    const silent = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const storage = new S3ObjectStorage(configFor(server, { port, idleTimeoutMs: 300 }));
      await expect(storage.stat('a')).rejects.toThrow('the S3 server sent nothing for 300 ms');
      // ensureReady does not keep the failed attempt: a second call asks again (and fails again).
      await expect(storage.ping()).rejects.toThrow('the S3 server sent nothing for 300 ms');
    } finally {
      silent.close();
    }
  });
});
