import { findMotoServer, RunningS3Server, startMotoServer } from '@kiln/testing';
import { Client } from 'minio';
import { S3ObjectStorage } from './s3.driver';
import {
  collect,
  configFor,
  describeStorageContract,
  randomStream,
  sha256,
} from './storage-contract.spec-helper';
import { ObjectSizeMismatchError } from './storage.errors';

// moto is the closer S3: byte-ordered, URL-encoded listings, the 5 MiB minimum part size and
// real multipart ETags. Skipped, visibly, where moto_server is not installed.
const describeIfMoto = findMotoServer() ? describe : describe.skip;

describeIfMoto('s3 driver on moto_server', () => {
  describeStorageContract('s3 driver on moto_server', async () => {
    const server = await startMotoServer();
    return {
      storage: new S3ObjectStorage(configFor(server)),
      kind: 's3',
      quirks: ['ignores-response-overrides'],
      cleanUp: server.stop,
    };
  });

  let server: RunningS3Server;
  let client: Client;

  beforeAll(async () => {
    server = await startMotoServer();
    client = new Client({ ...configFor(server), region: 'us-east-1' });
  });
  afterAll(() => server?.stop());

  it('stores a body above the part size as a multipart object of minimum-size parts', async () => {
    const storage = new S3ObjectStorage(configFor(server, { partSize: 5 * 1024 * 1024 }));
    const { stream, sha256: expected } = randomStream(11 * 1024 * 1024);
    await expect(storage.put('parts.bin', stream)).resolves.toEqual({
      size: 11 * 1024 * 1024,
      sha256: expected,
    });
    expect(sha256(await storage.get('parts.bin'))).toBe(expected);
    // A multipart object's ETag ends in "-<number of parts>".
    expect((await client.statObject(server.bucket, 'parts.bin')).etag).toMatch(/-3$/);
  });

  it('aborts the multipart upload of a body of the wrong size', async () => {
    const storage = new S3ObjectStorage(configFor(server));
    const { stream } = randomStream(10 * 1024 * 1024);
    await expect(storage.put('wrong.bin', stream, { size: 1 })).rejects.toBeInstanceOf(
      ObjectSizeMismatchError,
    );
    const pending = await collect(client.listIncompleteUploads(server.bucket, 'wrong.bin', true));
    expect(pending).toEqual([]);
    await expect(storage.stat('wrong.bin')).resolves.toBeNull();
  });
});
