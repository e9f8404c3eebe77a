import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ArtifactFile } from './artifact-files';

export interface ArtifactUpload {
  runId: string;
  projectId: string;
  artifactName: string;
  file: ArtifactFile;
  expiresMs?: number;
  /** Passed on as `report=`: the artifact-service reads such files as test reports. */
  report?: 'junit';
}

/** The artifact-service refused a file; `retryable` when asking again later may succeed. */
export class ArtifactUploadError extends Error {
  override readonly name = 'ArtifactUploadError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const UPLOAD_TIMEOUT_MS = 10 * 60_000;

export interface ArtifactServiceTarget {
  baseUrl: string;
  /** Sent as X-Kiln-Internal-Token; the artifact-service refuses uploads without it. */
  internalToken?: string;
}

/**
 * Streams one file to `PUT <artifact-service>/internal/artifacts/<run>/<name>?path=…`. Answers
 * `stored` on 201, and `exists` when an earlier delivery stored it already (200: replaced by the
 * same file, 409: kept).
 */
export async function uploadArtifactFile(
  target: ArtifactServiceTarget,
  upload: ArtifactUpload,
): Promise<'stored' | 'exists'> {
  const { baseUrl, internalToken } = target;
  const url = new URL(
    `/internal/artifacts/${encodeURIComponent(upload.runId)}/${encodeURIComponent(upload.artifactName)}`,
    baseUrl,
  );
  url.searchParams.set('path', upload.file.relativePath);
  if (upload.expiresMs !== undefined) url.searchParams.set('expires_ms', String(upload.expiresMs));
  if (upload.report) url.searchParams.set('report', upload.report);
  // O_NOFOLLOW: the file checked inside the workspace is the file sent, even if swapped for a link since.
  const handle = await open(upload.file.absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW);
  const size = (await handle.stat()).size;
  const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
    method: 'PUT',
    timeout: UPLOAD_TIMEOUT_MS,
    headers: {
      'content-type': contentType(upload.file.relativePath),
      'content-length': size,
      'x-project-id': upload.projectId,
      ...(internalToken ? { 'x-kiln-internal-token': internalToken } : {}),
    },
  });
  const answer = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
    request.once('timeout', () => request.destroy(new Error(`no answer within ${UPLOAD_TIMEOUT_MS} ms`)));
  });
  try {
    // The service may answer (and close) before reading the whole body, e.g. a 413: its answer wins.
    // The body is read through the FileHandle, whose close() below waits for a read still in flight:
    // a stream on its bare fd let close() free the number under that read, and a socket opened
    // meanwhile could get it, which made libuv abort the whole executor (seen with the
    // artifact-service down; this file's spec).
    const sent = pipeline(handle.createReadStream({ autoClose: false }), request).catch(() => undefined);
    const [response] = await Promise.all([answer, sent]);
    const body = await readBody(response);
    if (response.statusCode === 201) return 'stored';
    if (response.statusCode === 200 || response.statusCode === 409) return 'exists';
    const status = response.statusCode ?? 0;
    throw new ArtifactUploadError(
      `artifact-service answered ${status}: ${body.slice(0, 500)}`,
      status >= 500 || status === 429,
    );
  } catch (error) {
    if (error instanceof ArtifactUploadError) throw error;
    throw new ArtifactUploadError(`artifact-service unreachable: ${(error as Error).message}`, true);
  } finally {
    await handle.close();
  }
}

async function readBody(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const piece of response) text += piece;
  return text;
}

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

/** A content type from the file's extension; unknown ones are opaque bytes. */
export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
