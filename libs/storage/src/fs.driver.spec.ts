import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { FsObjectStorage } from './fs.driver';
import { HOSTILE_KEYS, describeStorageContract } from './storage-contract.spec-helper';
import { InvalidObjectKeyError, ObjectNotFoundError } from './storage.errors';

describeStorageContract('fs driver', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-fs-contract-'));
  return {
    storage: new FsObjectStorage(join(dir, 'objects')),
    kind: 'fs',
    cleanUp: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('fs driver', () => {
  let dir: string;
  let root: string;
  let storage: FsObjectStorage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-fs-'));
    root = join(dir, 'root');
    storage = new FsObjectStorage(root);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lays objects out as files under the root', async () => {
    await storage.put('logs/pipelines/run-1/build.log', 'line\n');
    expect(readdirSync(join(root, 'logs/pipelines/run-1'))).toEqual(['build.log']);
  });

  it('never writes outside its root, whatever the key', async () => {
    for (const key of HOSTILE_KEYS) {
      await expect(storage.put(key, 'pwned')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    }
    // Keys are checked before any I/O: not even the root was created.
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync('/escape')).toBe(false);
  });

  it('refuses to write through a symbolic link that leads out of the root', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    await storage.ensureReady();
    symlinkSync(outside, join(root, 'link'));
    await expect(storage.put('link/x', 'pwned')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(storage.put('link/deeper/x', 'pwned')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses such a link placed after earlier uploads, and makes its folders again when removed', async () => {
    await storage.put('logs/a/x.log', 'one');
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(root, 'link'));
    await expect(storage.put('link/x', 'pwned')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    expect(readdirSync(outside)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
    await storage.put('logs/a/y.log', 'two');
    expect((await storage.get('logs/a/y.log')).toString()).toBe('two');
  });

  it('never shows a reader a partially written object', async () => {
    await storage.put('obj', 'old content');
    const fresh = new PassThrough();
    const replacement = new PassThrough();
    const writes = Promise.all([storage.put('new', fresh), storage.put('obj', replacement)]);
    fresh.write('half of it');
    replacement.write('new ');
    await new Promise((r) => setTimeout(r, 50));
    await expect(storage.get('new')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(storage.stat('new')).resolves.toBeNull();
    expect((await storage.get('obj')).toString()).toBe('old content');
    fresh.end(' and the rest');
    replacement.end('content');
    await writes;
    expect((await storage.get('new')).toString()).toBe('half of it and the rest');
    expect((await storage.get('obj')).toString()).toBe('new content');
  });

  it('leaves neither object nor staged file behind when the body fails', async () => {
    const failing = new Readable({
      read() {
        this.push('some bytes');
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('broken', failing)).rejects.toThrow('client went away');
    await expect(storage.stat('broken')).resolves.toBeNull();
    expect(readdirSync(join(root, '.kiln-uploads'))).toEqual([]);
  });

  it('keeps the staging folder out of listings', async () => {
    await storage.put('a', 'a');
    mkdirSync(join(root, '.kiln-uploads'), { recursive: true });
    const keys: string[] = [];
    for await (const o of storage.list('')) keys.push(o.key);
    expect(keys).toEqual(['a']);
  });

  it('removes folders a delete leaves empty, but not the root', async () => {
    await storage.put('logs/run-1/a.log', 'a');
    await storage.put('logs/run-2/a.log', 'a');
    await storage.delete('logs/run-1/a.log');
    expect(readdirSync(join(root, 'logs'))).toEqual(['run-2']);
    await storage.deletePrefix('logs/');
    expect(readdirSync(root)).toEqual(['.kiln-uploads']);
  });

  it('treats a folder of objects as no object', async () => {
    await storage.put('dir/file', 'x');
    await expect(storage.get('dir')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(storage.stream('dir')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(storage.stat('dir')).resolves.toBeNull();
    await expect(storage.delete('dir')).resolves.toBeUndefined();
    expect((await storage.get('dir/file')).toString()).toBe('x');
  });

  it('pings a writable root and creates it when missing', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
    expect(existsSync(root)).toBe(true);
  });
});
