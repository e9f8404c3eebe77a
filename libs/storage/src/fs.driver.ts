import { randomUUID } from 'node:crypto';
import { constants, Dirent } from 'node:fs';
import {
  access,
  FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { assertByteRange, resolveByteRange } from './byte-range';
import { digestedChunks, ObjectDigest } from './object-body';
import { assertObjectKey, assertObjectPrefix, RESERVED_SEGMENT } from './object-key';
import {
  ByteRange,
  ObjectBody,
  ObjectInfo,
  ObjectListing,
  ObjectStorage,
  PutOptions,
  PutResult,
  PutSize,
} from './object-storage';
import { InvalidObjectKeyError, ObjectNotFoundError, ObjectSizeMismatchError } from './storage.errors';

// A key that runs into a file where a folder should be (or the reverse) names no object.
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? '';

/**
 * Objects as files under `root` (`<root>/logs/pipelines/…`), the embedded default. Uploads are
 * staged in `<root>/.kiln-uploads/` and renamed into place, so readers never see a partial object.
 * A key cannot be both an object and a folder of others (`a` and `a/b`), unlike on S3.
 */
export class FsObjectStorage implements ObjectStorage {
  private readonly root: string;
  private readonly staging: string;
  /** The root with symbolic links resolved, read once: it is where the operator put it. */
  private realRoot?: Promise<string>;

  constructor(root: string) {
    this.root = resolve(root);
    this.staging = join(this.root, RESERVED_SEGMENT);
  }

  async ensureReady(): Promise<void> {
    await mkdir(this.staging, { recursive: true });
  }

  async ping(): Promise<void> {
    await this.ensureReady();
    await access(this.staging, constants.W_OK);
  }

  put(key: string, body: ObjectBody, opts: PutOptions & { sha256: false }): Promise<PutSize>;
  put(key: string, body: ObjectBody, opts?: PutOptions): Promise<PutResult>;
  async put(key: string, body: ObjectBody, opts: PutOptions = {}): Promise<PutResult | PutSize> {
    const target = this.pathOf(key);
    const temp = join(this.staging, randomUUID());
    const digest = new ObjectDigest(opts.sha256 !== false);
    try {
      // Each file operation is a trip through libuv's thread pool: the staging folder is made
      // when the first upload (or one after it was removed) does not find it, not before each.
      const file = await open(temp, 'wx').catch(async (error: unknown) => {
        if (codeOf(error) !== 'ENOENT') throw error;
        await this.ensureReady();
        return open(temp, 'wx');
      });
      try {
        for await (const chunk of digestedChunks(body, digest)) await writeAll(file, chunk);
        // Flushed before the rename so a crash cannot leave a renamed but empty file.
        await file.sync();
      } finally {
        await file.close();
      }
      if (opts.size !== undefined && opts.size !== digest.size) {
        throw new ObjectSizeMismatchError(key, opts.size, digest.size);
      }
      await this.moveIntoPlace(key, temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return digest.result();
  }

  async get(key: string): Promise<Buffer> {
    const path = this.pathOf(key);
    try {
      return await readFile(path);
    } catch (error) {
      throw MISSING.has(codeOf(error)) ? new ObjectNotFoundError(key) : error;
    }
  }

  async stream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    const path = this.pathOf(key);
    if (range) assertByteRange(range);
    // Reading through the open handle keeps serving this version even if it is replaced meanwhile.
    const file = await open(path, 'r').catch((error: unknown) => {
      throw MISSING.has(codeOf(error)) ? new ObjectNotFoundError(key) : error;
    });
    try {
      const info = await file.stat();
      if (!info.isFile()) throw new ObjectNotFoundError(key);
      const { start, end } = resolveByteRange(key, range, info.size);
      if (end < start) return emptyStream(file);
      return file.createReadStream({ start, end, autoClose: true });
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { size: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (MISSING.has(codeOf(error))) return null;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectListing> {
    assertObjectPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    yield* this.walk(slash < 0 ? '' : prefix.slice(0, slash), prefix);
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      // Deleting what is not there (or a folder, which is no object) is the idempotent success case.
      if (MISSING.has(codeOf(error))) return;
      throw error;
    }
    await this.pruneEmptyFolders(dirname(path));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertObjectPrefix(prefix);
    if (prefix === '') throw new InvalidObjectKeyError(prefix, 'refusing to delete every object');
    const keys: string[] = [];
    for await (const { key } of this.list(prefix)) keys.push(key);
    for (const key of keys) await this.delete(key);
    return keys.length;
  }

  async presignGet(key: string): Promise<string | null> {
    assertObjectKey(key);
    return null;
  }

  private pathOf(key: string): string {
    assertObjectKey(key);
    const path = join(this.root, ...key.split('/'));
    // Validation already rules out escapes; this guards the invariant if the rules ever change.
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith('..') || resolve(this.root, rel) !== path) {
      throw new InvalidObjectKeyError(key, 'resolves outside the storage root');
    }
    return path;
  }

  private async moveIntoPlace(key: string, temp: string, target: string): Promise<void> {
    // A concurrent delete may prune the freshly made folder before the rename: make it again.
    for (let attempt = 1; ; attempt++) {
      if (!(await this.assertNoLinkOut(key, dirname(target))))
        await mkdir(dirname(target), { recursive: true });
      try {
        await rename(temp, target);
        return;
      } catch (error) {
        if (codeOf(error) !== 'ENOENT' || attempt === 3) throw error;
      }
    }
  }

  /**
   * Keys cannot make symbolic links, but one placed in the root by hand must not lead a write out.
   * Answers whether `dir` itself exists (else it is still to be made).
   */
  private async assertNoLinkOut(key: string, dir: string): Promise<boolean> {
    this.realRoot ??= realpath(this.root).catch((error: unknown) => {
      this.realRoot = undefined;
      throw error;
    });
    const realRoot = await this.realRoot;
    for (let existing = dir; ; existing = dirname(existing)) {
      try {
        const real = await realpath(existing);
        if (real === realRoot || real.startsWith(realRoot + sep)) return existing === dir;
        throw new InvalidObjectKeyError(key, 'leads outside the storage root through a symbolic link');
      } catch (error) {
        // Folders still to be made: what matters is where their nearest existing ancestor is.
        if (codeOf(error) !== 'ENOENT' || existing === this.root) throw error;
      }
    }
  }

  /** Lists folder `dirKey` in key order: a folder sorts as its name plus '/', as its keys do. */
  private async *walk(dirKey: string, prefix: string): AsyncGenerator<ObjectListing> {
    let entries: Dirent[];
    try {
      entries = await readdir(dirKey ? join(this.root, ...dirKey.split('/')) : this.root, {
        withFileTypes: true,
      });
    } catch (error) {
      if (MISSING.has(codeOf(error))) return;
      throw error;
    }
    const named = entries
      .filter((e) => dirKey !== '' || e.name !== RESERVED_SEGMENT)
      .map((entry) => {
        const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
        return { entry, key, order: Buffer.from(entry.isDirectory() ? `${key}/` : key) };
      })
      .sort((a, b) => Buffer.compare(a.order, b.order));
    for (const { entry, key } of named) {
      if (entry.isDirectory()) {
        const folder = `${key}/`;
        if (folder.startsWith(prefix) || prefix.startsWith(folder)) yield* this.walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(join(this.root, ...key.split('/'))).catch((error: unknown) => {
          // Deleted since the folder was read: it is simply no longer listed.
          if (codeOf(error) === 'ENOENT') return null;
          throw error;
        });
        if (info) yield { key, size: info.size, lastModified: info.mtime };
      }
    }
  }

  /** Removes folders left empty by a delete, up to (not including) the root. */
  private async pruneEmptyFolders(dir: string): Promise<void> {
    for (
      let current = dir;
      current !== this.root && current.startsWith(this.root + sep);
      current = dirname(current)
    ) {
      try {
        await rmdir(current);
      } catch (error) {
        // Not empty (or already gone): the folders above are not empty either.
        if (['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(codeOf(error))) return;
        throw error;
      }
    }
  }
}

// A write may take fewer bytes than offered (a full disk reports itself on the next one).
async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) offset += (await file.write(chunk, offset)).bytesWritten;
}

async function emptyStream(file: FileHandle): Promise<NodeJS.ReadableStream> {
  await file.close();
  return Readable.from([]);
}
