import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ObjectStorage } from './object-storage';
import { S3StorageConfig } from './storage.config';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectNotFoundError,
  ObjectSizeMismatchError,
} from './storage.errors';

export interface ContractSubject {
  storage: ObjectStorage;
  /** The S3 driver stores content types and presigns URLs; the fs driver does neither. */
  kind: 'fs' | 's3';
  /** Where the test server is known to differ from S3; the assertions it would fail are skipped. */
  quirks?: ServerQuirk[];
  cleanUp(): Promise<void>;
}

/** S3 driver settings for a test server from `@kiln/testing`. */
export function configFor(
  server: { endPoint: string; port: number; accessKey: string; secretKey: string; bucket: string },
  overrides: Partial<S3StorageConfig> = {},
): S3StorageConfig {
  const { endPoint, port, accessKey, secretKey, bucket } = server;
  return { driver: 's3', endPoint, port, useSSL: false, accessKey, secretKey, bucket, ...overrides };
}

export type ServerQuirk =
  /** Lists in its own folder-walk order, not UTF-8 byte order (s3rver). */
  | 'unsorted-listing'
  /** Ignores `encoding-type=url` and escapes `'` as `&#x27;`: minio mis-decodes such listed keys (s3rver). */
  | 'raw-listing-keys'
  /** Answers `Range: bytes=0-0` with the whole object (s3rver). */
  | 'range-end-zero-ignored'
  /** Ignores `response-content-disposition` on a presigned GET (moto). */
  | 'ignores-response-overrides';

export const HOSTILE_KEYS = [
  '',
  '/etc/passwd',
  '../escape',
  'a/../../escape',
  'a/./b',
  'a//b',
  'a/',
  'a\\..\\..\\escape',
  'a\u0000b',
  'a\nb',
  'bad\ud800surrogate',
  'x'.repeat(1025),
  `${'y'.repeat(256)}/z`,
  '.kiln-uploads/x',
];

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** A stream of `size` random bytes in uneven chunks, and their SHA-256. */
export function randomStream(size: number): { stream: Readable; sha256: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  const chunks: Buffer[] = [];
  for (let offset = 0, step = 65_521; offset < size; offset += step)
    chunks.push(bytes.subarray(offset, offset + step));
  return { stream: Readable.from(chunks), sha256: sha256(bytes), bytes };
}

/** The behaviour every ObjectStorage driver must show; each test writes under its own prefix. */
export function describeStorageContract(name: string, setUp: () => Promise<ContractSubject>): void {
  describe(`${name}: ObjectStorage contract`, () => {
    let subject: ContractSubject;
    let storage: ObjectStorage;
    let p: string;
    const quirk = (name: ServerQuirk) => subject.quirks?.includes(name) ?? false;

    beforeAll(async () => {
      subject = await setUp();
      storage = subject.storage;
    });
    afterAll(() => subject?.cleanUp());
    beforeEach(() => {
      p = `t-${randomBytes(4).toString('hex')}/`;
    });

    it('stores a buffer and returns its size and SHA-256', async () => {
      const body = randomBytes(1000);
      await expect(storage.put(`${p}a.bin`, body)).resolves.toEqual({ size: 1000, sha256: sha256(body) });
      expect((await storage.get(`${p}a.bin`)).equals(body)).toBe(true);
    });

    it('stores a string as UTF-8', async () => {
      const result = await storage.put(`${p}hello.txt`, 'héllo\n');
      expect(result.size).toBe(7);
      expect((await storage.get(`${p}hello.txt`)).toString()).toBe('héllo\n');
    });

    it('stores a chunked stream and digests it while streaming', async () => {
      const { stream, sha256: expected, bytes } = randomStream(300_000);
      await expect(storage.put(`${p}s.bin`, stream)).resolves.toEqual({ size: 300_000, sha256: expected });
      expect((await storage.get(`${p}s.bin`)).equals(bytes)).toBe(true);
    });

    it('stores a stream without hashing it when asked, and still checks its size', async () => {
      const { stream, bytes } = randomStream(300_000);
      const put = storage.put(`${p}n.bin`, stream, { size: 300_000, sha256: false });
      await expect(put).resolves.toEqual({ size: 300_000 });
      expect((await storage.get(`${p}n.bin`)).equals(bytes)).toBe(true);
      const short = storage.put(`${p}short.bin`, 'abc', { size: 4, sha256: false });
      await expect(short).rejects.toBeInstanceOf(ObjectSizeMismatchError);
      expect(await storage.stat(`${p}short.bin`)).toBeNull();
    });

    it('stores a 20 MB stream (several parts on S3) and reads it back intact', async () => {
      const { stream, sha256: expected } = randomStream(20 * 1024 * 1024);
      const result = await storage.put(`${p}big.bin`, stream, { size: 20 * 1024 * 1024 });
      expect(result).toEqual({ size: 20 * 1024 * 1024, sha256: expected });
      expect(sha256(await readAll(await storage.stream(`${p}big.bin`)))).toBe(expected);
      expect((await storage.stat(`${p}big.bin`))?.size).toBe(20 * 1024 * 1024);
    });

    it('replaces an existing object', async () => {
      await storage.put(`${p}k`, 'first version');
      await storage.put(`${p}k`, 'second');
      expect((await storage.get(`${p}k`)).toString()).toBe('second');
    });

    it('stores an empty object', async () => {
      await expect(storage.put(`${p}empty`, '')).resolves.toEqual({ size: 0, sha256: sha256('') });
      expect((await storage.get(`${p}empty`)).length).toBe(0);
      expect((await readAll(await storage.stream(`${p}empty`))).length).toBe(0);
      expect((await storage.stat(`${p}empty`))?.size).toBe(0);
    });

    it('keeps keys with spaces and non-ASCII characters intact', async () => {
      const key = `${p}ünïcode dir/file (1) ~!$=,;@.txt`;
      await storage.put(key, 'x');
      expect((await storage.get(key)).toString()).toBe('x');
      expect((await collect(storage.list(p))).map((o) => o.key)).toEqual([key]);
    });

    it('keeps keys with URL and XML special characters intact', async () => {
      const key = `${p}app+debug 100% <"it's" & more>.zip`;
      await storage.put(key, 'x');
      expect((await storage.get(key)).toString()).toBe('x');
      expect((await storage.stat(key))?.size).toBe(1);
      if (!quirk('raw-listing-keys'))
        expect((await collect(storage.list(p))).map((o) => o.key)).toEqual([key]);
    });

    it('rejects a body whose length differs from the declared size and stores nothing', async () => {
      await expect(storage.put(`${p}short`, 'abc', { size: 4 })).rejects.toBeInstanceOf(
        ObjectSizeMismatchError,
      );
      await expect(storage.stat(`${p}short`)).resolves.toBeNull();
      await storage.put(`${p}kept`, 'old');
      await expect(storage.put(`${p}kept`, 'longer', { size: 2 })).rejects.toBeInstanceOf(
        ObjectSizeMismatchError,
      );
      expect((await storage.get(`${p}kept`)).toString()).toBe('old');
    });

    it('rejects a multipart-sized body of the wrong length and stores nothing', async () => {
      const { stream } = randomStream(12 * 1024 * 1024);
      await expect(storage.put(`${p}big`, stream, { size: 13 * 1024 * 1024 })).rejects.toBeInstanceOf(
        ObjectSizeMismatchError,
      );
      await expect(storage.stat(`${p}big`)).resolves.toBeNull();
    });

    it('reports a missing object as not found', async () => {
      await expect(storage.get(`${p}nope`)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(storage.stream(`${p}nope`)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(storage.stream(`${p}nope`, { start: 1 })).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(storage.stat(`${p}nope`)).resolves.toBeNull();
    });

    it('streams byte ranges with an inclusive end, clamped to the object', async () => {
      await storage.put(`${p}r`, '0123456789');
      const read = async (range?: { start: number; end?: number }) =>
        (await readAll(await storage.stream(`${p}r`, range))).toString();
      await expect(read()).resolves.toBe('0123456789');
      await expect(read({ start: 2, end: 5 })).resolves.toBe('2345');
      await expect(read({ start: 7 })).resolves.toBe('789');
      if (!quirk('range-end-zero-ignored')) await expect(read({ start: 0, end: 0 })).resolves.toBe('0');
      await expect(read({ start: 9, end: 9 })).resolves.toBe('9');
      await expect(read({ start: 8, end: 100 })).resolves.toBe('89');
    });

    it('rejects a range that starts beyond the last byte', async () => {
      await storage.put(`${p}r`, '0123456789');
      await expect(storage.stream(`${p}r`, { start: 10 })).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(storage.stream(`${p}r`, { start: 5, end: 2 })).rejects.toBeInstanceOf(RangeError);
    });

    it('stats size, modification time and (on S3) the content type', async () => {
      const before = Date.now();
      await storage.put(`${p}page.html`, '<p>hi</p>', { contentType: 'text/html' });
      const info = await storage.stat(`${p}page.html`);
      expect(info?.size).toBe(9);
      // S3 keeps whole seconds.
      expect(info!.lastModified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(info!.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(info?.contentType).toBe(subject.kind === 's3' ? 'text/html' : undefined);
    });

    it('lists keys under a string prefix in byte order with their sizes', async () => {
      const keys = [`${p}a/b`, `${p}a.b`, `${p}a-c`, `${p}a/a/deep`, `${p}ab`, `${p}b`, `${p}Z`];
      for (const key of keys) await storage.put(key, key);
      const listed = await collect(storage.list(p));
      const inByteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const listedKeys = listed.map((o) => o.key);
      expect(quirk('unsorted-listing') ? [...listedKeys].sort() : listedKeys).toEqual(
        quirk('unsorted-listing') ? [...inByteOrder].sort() : inByteOrder,
      );
      expect(listed.every((o) => o.size === Buffer.byteLength(o.key))).toBe(true);
      // Dates from Node's own realm fail Jest's `instanceof Date`.
      expect(listed.every((o) => Object.prototype.toString.call(o.lastModified) === '[object Date]')).toBe(
        true,
      );
      expect((await collect(storage.list(`${p}a/`))).map((o) => o.key).sort()).toEqual([
        `${p}a/a/deep`,
        `${p}a/b`,
      ]);
      expect((await collect(storage.list(`${p}a`))).map((o) => o.key)).toHaveLength(5);
      await expect(collect(storage.list(`${p}missing/`))).resolves.toEqual([]);
    });

    it('deletes an object, and deleting it again succeeds', async () => {
      await storage.put(`${p}d/x`, 'x');
      await storage.delete(`${p}d/x`);
      await expect(storage.get(`${p}d/x`)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(storage.delete(`${p}d/x`)).resolves.toBeUndefined();
      await expect(storage.delete(`${p}never/was`)).resolves.toBeUndefined();
    });

    it('deletes everything under a prefix and counts it', async () => {
      for (const key of ['run1/a.log', 'run1/b/c.log', 'run10/a.log', 'run2/a.log'])
        await storage.put(`${p}${key}`, key);
      await expect(storage.deletePrefix(`${p}run1/`)).resolves.toBe(2);
      expect((await collect(storage.list(p))).map((o) => o.key).sort()).toEqual([
        `${p}run10/a.log`,
        `${p}run2/a.log`,
      ]);
      await expect(storage.deletePrefix(`${p}run1/`)).resolves.toBe(0);
      await expect(storage.deletePrefix('')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    });

    it.each(HOSTILE_KEYS.map((key) => [JSON.stringify(key).slice(0, 40), key]))(
      'rejects the hostile key %s on every call',
      async (_label, key) => {
        const calls = [
          () => storage.put(key, 'pwned'),
          () => storage.get(key),
          () => storage.stream(key),
          () => storage.stat(key),
          () => storage.delete(key),
          () => storage.presignGet(key, 60),
        ];
        for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidObjectKeyError);
      },
    );

    it('rejects hostile prefixes', async () => {
      for (const prefix of ['../', '/abs', 'a/../', 'a\\b', '.kiln-uploads/']) {
        await expect(collect(storage.list(prefix))).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(storage.deletePrefix(prefix)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      }
    });

    it('answers a readiness ping', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    it('presigns a GET that serves the object over plain HTTP (S3) or returns null (fs)', async () => {
      const body = randomBytes(4096);
      await storage.put(`${p}art/report.bin`, body);
      const url = await storage.presignGet(`${p}art/report.bin`, 120, { filename: 'rapport "final" é.bin' });
      if (subject.kind === 'fs') {
        expect(url).toBeNull();
        return;
      }
      const parsed = new URL(url!);
      expect(parsed.searchParams.get('X-Amz-Expires')).toBe('120');
      const disposition = `attachment; filename="rapport _final_ _.bin"; filename*=UTF-8''rapport%20%22final%22%20%C3%A9.bin`;
      expect(parsed.searchParams.get('response-content-disposition')).toBe(disposition);
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
      if (!quirk('ignores-response-overrides'))
        expect(res.headers.get('content-disposition')).toBe(disposition);
    });
  });
}
