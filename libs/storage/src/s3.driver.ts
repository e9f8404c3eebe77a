import type { Client } from 'minio';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { assertByteRange } from './byte-range';
import { attachmentDisposition } from './content-disposition';
import { digestedChunks, ObjectDigest, splitIntoParts } from './object-body';
import { assertObjectKey, assertObjectPrefix } from './object-key';
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
import { uploadMultipart } from './s3-multipart';
import { S3StorageConfig } from './storage.config';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectNotFoundError,
  ObjectSizeMismatchError,
} from './storage.errors';

const MIB = 1024 * 1024;
/** Memory held per upload in flight; with S3's 10,000-part cap it allows objects up to ~80 GB. */
export const DEFAULT_PART_SIZE = 8 * MIB;
// S3 rejects parts below 5 MiB (except the last) and above 5 GiB.
const MIN_PART_SIZE = 5 * MIB;
const MAX_PART_SIZE = 5 * 1024 * MIB;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const DELETE_BATCH = 1000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

const codeOf = (error: unknown) => (error as { code?: string }).code ?? '';
const isMissing = (error: unknown) => ['NoSuchKey', 'NotFound'].includes(codeOf(error));

/**
 * Objects in one S3/MinIO bucket through the `minio` client. A body up to `partSize` bytes is one
 * PUT; a longer one is a multipart upload holding one part in memory at a time.
 */
export class S3ObjectStorage implements ObjectStorage {
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly partSize: number;
  private ready?: Promise<void>;

  constructor(config: S3StorageConfig) {
    this.bucket = config.bucket;
    this.region = config.region ?? 'us-east-1';
    this.partSize = config.partSize ?? DEFAULT_PART_SIZE;
    if (this.partSize < MIN_PART_SIZE || this.partSize > MAX_PART_SIZE) {
      throw new RangeError(`partSize must be between 5 MiB and 5 GiB, got ${this.partSize}`);
    }
    // minio (with its XML and HTTP stack) is loaded by the apps that use this driver only, not by
    // every app importing @kiln/storage with the fs driver (bench/README.md, app-rss).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client: MinioClient } = require('minio') as typeof import('minio');
    this.client = new MinioClient({
      endPoint: config.endPoint,
      port: config.port,
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      // A known region spares a GetBucketLocation round trip before each first request.
      region: this.region,
      transportAgent: idleLimitedAgent(config.useSSL, config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS),
    });
  }

  ensureReady(): Promise<void> {
    this.ready ??= this.createBucketIfMissing().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async ping(): Promise<void> {
    await this.ensureReady();
    if (!(await this.client.bucketExists(this.bucket))) {
      // Deleted behind our back: the next call creates it again.
      this.ready = undefined;
      throw new Error(`bucket ${this.bucket} does not exist`);
    }
  }

  put(key: string, body: ObjectBody, opts: PutOptions & { sha256: false }): Promise<PutSize>;
  put(key: string, body: ObjectBody, opts?: PutOptions): Promise<PutResult>;
  async put(key: string, body: ObjectBody, opts: PutOptions = {}): Promise<PutResult | PutSize> {
    assertObjectKey(key);
    await this.ensureReady();
    const digest = new ObjectDigest(opts.sha256 !== false);
    const checkSize = () => {
      if (opts.size !== undefined && opts.size !== digest.size) {
        throw new ObjectSizeMismatchError(key, opts.size, digest.size);
      }
    };
    const headers = { 'Content-Type': opts.contentType ?? 'application/octet-stream' };
    const parts = splitIntoParts(digestedChunks(body, digest), this.partSize);
    const first = await parts.next();
    if (first.done) throw new Error('splitIntoParts yielded no part');
    if (first.value.last) {
      checkSize();
      await this.client.putObject(this.bucket, key, first.value.data, first.value.data.length, headers);
    } else {
      const all = (async function* () {
        yield first.value;
        yield* parts;
      })();
      await uploadMultipart(this.client, this.bucket, key, headers, all, checkSize);
    }
    return digest.result();
  }

  async get(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.stream(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async stream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    assertObjectKey(key);
    if (range) assertByteRange(range);
    await this.ensureReady();
    try {
      if (!range) return await this.client.getObject(this.bucket, key);
      const length = range.end === undefined ? 0 : range.end - range.start + 1;
      return await this.client.getPartialObject(this.bucket, key, range.start, length);
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key);
      if (codeOf(error) === 'InvalidRange') throw new InvalidRangeError(key, range?.start ?? 0);
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertObjectKey(key);
    await this.ensureReady();
    try {
      const info = await this.client.statObject(this.bucket, key);
      const contentType = info.metaData['content-type'] as string | undefined;
      return { size: info.size, lastModified: info.lastModified, ...(contentType ? { contentType } : {}) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectListing> {
    assertObjectPrefix(prefix);
    await this.ensureReady();
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if (item.name) yield { key: item.name, size: item.size, lastModified: item.lastModified };
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.ensureReady();
    await this.client.removeObject(this.bucket, key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertObjectPrefix(prefix);
    if (prefix === '') throw new InvalidObjectKeyError(prefix, 'refusing to delete every object');
    let deleted = 0;
    let batch: string[] = [];
    const flush = async () => {
      const results = await this.client.removeObjects(this.bucket, batch);
      const failed = results.filter((r) => r?.Error);
      if (failed.length > 0) {
        const first = failed[0]!.Error!;
        throw new Error(
          `deleting ${failed.length} objects under ${prefix} failed, first ${first.Key}: ${first.Code}`,
        );
      }
      deleted += batch.length;
      batch = [];
    };
    for await (const { key } of this.list(prefix)) {
      batch.push(key);
      if (batch.length === DELETE_BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    return deleted;
  }

  async presignGet(
    key: string,
    ttlSeconds: number,
    opts: { filename?: string } = {},
  ): Promise<string | null> {
    assertObjectKey(key);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(
        `ttlSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}, got ${ttlSeconds}`,
      );
    }
    const headers: Record<string, string> = {};
    if (opts.filename) headers['response-content-disposition'] = attachmentDisposition(opts.filename);
    return this.client.presignedGetObject(this.bucket, key, ttlSeconds, headers);
  }

  private async createBucketIfMissing(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      // Another instance created it first: that is the outcome we wanted.
      if (['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(codeOf(error))) {
        if (await this.client.bucketExists(this.bucket)) return;
      }
      throw error;
    }
  }
}

/**
 * Keep-alive connections that are cut once they carry no byte for `idleMs`. minio sets no timeout
 * of its own: a server that stops answering without closing (a frozen host, a dropped route) would
 * leave a call, and `ensureReady`'s shared promise with it every later call, waiting forever.
 */
function idleLimitedAgent(useSSL: boolean, idleMs: number): HttpAgent {
  const agent = useSSL ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const withConnections = agent as unknown as { createConnection: (...args: unknown[]) => Socket };
  const create = withConnections.createConnection.bind(agent);
  withConnections.createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.setTimeout(idleMs, () => socket.destroy(new Error(`the S3 server sent nothing for ${idleMs} ms`)));
    return socket;
  };
  return agent;
}
