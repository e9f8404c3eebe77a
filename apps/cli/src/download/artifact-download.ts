import { SingleBar } from 'cli-progress';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ApiClient } from '../api/api-client';
import { runPath } from '../api/references';
import { Artifact } from '@kiln/api-wire';
import { ServerError, UsageError } from '../errors';

export interface DownloadResult {
  files: { id: string; path: string; bytes: number; sha256: string }[];
  bytes: number;
}

/**
 * Downloads artifact files into `dir` (keeping their paths) with a progress bar on a terminal,
 * checking each file's SHA-256 against the one the server recorded.
 */
export async function downloadArtifacts(
  client: ApiClient,
  projectId: string,
  runId: string,
  artifacts: Artifact[],
  dir: string,
  progressStream: NodeJS.WritableStream,
): Promise<DownloadResult> {
  const total = artifacts.reduce((sum, a) => sum + Number(a.size_bytes), 0);
  const bar = new SingleBar({
    stream: progressStream,
    format: '{bar} {percentage}% | {value}/{total} bytes | {file}',
    hideCursor: true,
    // Progress bars are noise in logs and pipes: only a terminal gets one.
    noTTYOutput: false,
  });
  const tty = (progressStream as NodeJS.WriteStream).isTTY === true;
  if (tty) bar.start(total, 0, { file: '' });
  const result: DownloadResult = { files: [], bytes: 0 };
  try {
    for (const artifact of artifacts) {
      const target = safeTarget(dir, artifact.path);
      const res = await client.stream(
        `${runPath(projectId, runId)}/artifacts/${artifact.id}/download`,
        '*/*',
      );
      const body = await followPresigned(res);
      const { bytes, sha256 } = await saveTo(body, target, (n) => {
        result.bytes += n;
        if (tty) bar.update(result.bytes, { file: artifact.path });
      });
      if (artifact.sha256 && artifact.sha256 !== sha256) {
        rmSync(target, { force: true });
        throw new ServerError(
          `${artifact.path}: checksum mismatch (expected ${artifact.sha256}, got ${sha256})`,
        );
      }
      result.files.push({ id: artifact.id, path: target, bytes, sha256 });
    }
  } finally {
    if (tty) bar.stop();
  }
  return result;
}

/** The download answer is the file itself, or JSON naming a presigned URL to fetch it from. */
async function followPresigned(res: Response): Promise<ReadableStream<Uint8Array>> {
  if ((res.headers.get('content-type') ?? '').includes('application/json')) {
    const { url } = (await res.json()) as { url?: unknown };
    if (typeof url !== 'string') throw new ServerError('the download answer named no URL');
    let file: Response;
    try {
      file = await fetch(url);
    } catch (error) {
      throw new ServerError(`cannot fetch the artifact from storage: ${(error as Error).message}`);
    }
    if (!file.ok || !file.body) throw new ServerError(`storage answered ${file.status} for the artifact`);
    return file.body;
  }
  if (!res.body) throw new ServerError('the download answer had no body');
  return res.body;
}

/** Artifact paths come from the server; one that would escape the output directory is refused. */
function safeTarget(dir: string, path: string): string {
  const root = resolve(dir);
  const target = resolve(root, path);
  const rel = relative(root, target);
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UsageError(`refusing to write artifact path "${path}" outside ${dir}`);
  }
  return target;
}

async function saveTo(
  body: ReadableStream<Uint8Array>,
  target: string,
  onBytes: (n: number) => void,
): Promise<{ bytes: number; sha256: string }> {
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.part`;
  const out = createWriteStream(partial);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(chunk.length);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((ok, fail) => out.end((error?: Error | null) => (error ? fail(error) : ok())));
  } catch (error) {
    out.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
  renameSync(partial, target);
  return { bytes, sha256: hash.digest('hex') };
}
