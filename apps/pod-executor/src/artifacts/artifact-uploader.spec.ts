import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactUploadError, uploadArtifactFile } from './artifact-uploader';

describe('uploadArtifactFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-upload-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A loopback port nothing listens on: every connection to it is refused at once. */
  async function refusingPort(): Promise<number> {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    return port;
  }

  // The body's file was once read through a stream on its bare fd and the handle closed in
  // `finally`: with the service down, a close could free the fd under a read still in flight, a
  // new socket got the number, and libuv aborted the process (the executor died with SIGABRT in
  // the chaos suite). Thousands of refused uploads, four at a time, reproduced it within a few hundred.
  it('answers every upload to a service that is down with a retryable error, and keeps running', async () => {
    const file = join(dir, 'out.txt');
    writeFileSync(file, 'artifact body\n');
    const baseUrl = `http://127.0.0.1:${await refusingPort()}`;
    const outcomes: unknown[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 500; i++) {
          await uploadArtifactFile(
            { baseUrl },
            {
              runId: 'run',
              projectId: 'project',
              artifactName: 'out',
              file: { absolutePath: file, relativePath: 'out.txt', size: 14 },
            },
          ).then(
            (answer) => outcomes.push(answer),
            (error: unknown) => outcomes.push(error),
          );
        }
      }),
    );
    expect(outcomes).toHaveLength(2000);
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(ArtifactUploadError);
      expect(outcome).toMatchObject({ retryable: true });
    }
  });
});
