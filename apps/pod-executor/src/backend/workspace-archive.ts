import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

/** `path` normalised (`.` is the whole workspace), or undefined when it is absolute or leaves the workspace. */
export function insideWorkspace(path: string): string | undefined {
  const relative = normalize(path).replace(/\/+$/, '');
  if (!relative || isAbsolute(relative) || relative.split('/').includes('..')) return undefined;
  return relative;
}

/**
 * The `paths` of `dir` that exist, as a tar stream made by the host's tar (links stored as links,
 * never followed). Entries are owned by root and writable by everyone, as the checkout is: any
 * step user of the run may change what a later step restores. `cleanUp` runs once tar is done.
 */
export async function packPaths(
  dir: string,
  paths: string[],
  cleanUp: () => Promise<void> = async () => undefined,
): Promise<Readable> {
  const present: string[] = [];
  for (const path of paths) {
    const relative = insideWorkspace(path);
    if (relative && (await lstat(join(dir, relative)).then(() => true, () => false))) present.push(relative); // prettier-ignore
  }
  if (present.length === 0) {
    // tar refuses to create an empty archive; this is one (two zero blocks).
    await cleanUp();
    return Readable.from([Buffer.alloc(1024)]);
  }
  const out = new PassThrough();
  const tar = spawn(
    'tar',
    ['-c', '-f', '-', '-C', dir, '--owner=0', '--group=0', '--mode=a+rwX', '--', ...present],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let errors = '';
  tar.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-1000)));
  // tar that cannot start (no tar, no free pid or fd) still closes, with a negative code.
  tar.once('error', (error) => (errors ||= error.message));
  tar.stdout.pipe(out, { end: false });
  // A reader that stops early (a checksum has what it needs) closes the pipe: tar ends on EPIPE.
  out.once('close', () => tar.stdout.destroy());
  tar.once('close', (code) => {
    // A clean-up that fails (a directory tar could not remove) leaves a copy behind, not a failure.
    void cleanUp()
      .catch(() => undefined)
      .finally(() => {
        if (code === 0 || out.destroyed) out.end();
        else out.destroy(new Error(`cannot pack ${present.join(', ')}: ${errors.trim()}`));
      });
  });
  return out;
}

/** Unpacks a tar stream into `dir` as this process's user (links are not followed out of it). */
export function unpackInto(dir: string, archive: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let errors = '';
    tar.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-1000)));
    tar.once('error', reject);
    tar.stdin.on('error', () => undefined);
    archive.once('error', (error) => {
      tar.kill();
      reject(error);
    });
    archive.pipe(tar.stdin);
    tar.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`cannot unpack into the workspace: ${errors.trim()}`)),
    );
  });
}
