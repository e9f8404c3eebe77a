/** What `put` accepts: a whole body, or a stream that is read once, to its end. */
export type ObjectBody = Buffer | string | NodeJS.ReadableStream;

export interface PutOptions {
  /** Stored with the object by the S3 driver; the fs driver keeps no metadata. */
  contentType?: string;
  /** The length the caller expects; a body of another length is rejected and nothing is stored. */
  size?: number;
  /**
   * false: the bytes are not hashed and the result has only the size. Hashing costs ~1 ms of CPU
   * per MiB on the caller's event loop; logs, whose hash nothing reads, skip it (bench/README.md).
   */
  sha256?: boolean;
}

export interface PutResult {
  size: number;
  /** Hex SHA-256 of the bytes stored, computed while they were written. */
  sha256: string;
}

/** What a put with `sha256: false` answers. */
export type PutSize = Omit<PutResult, 'sha256'>;

/** Bytes `start`..`end`, both inclusive as in an HTTP Range header; `end` defaults to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectInfo {
  size: number;
  /** Only the S3 driver stores a content type. */
  contentType?: string;
  lastModified: Date;
}

export interface ObjectListing {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * Object storage for logs and artifacts (SPEC §8). Keys are relative `a/b/c` paths checked by
 * `assertObjectKey`: a bad key rejects with InvalidObjectKeyError before any I/O.
 */
export interface ObjectStorage {
  /** Stores the body atomically (readers see the old object or the whole new one) and replaces any old one. */
  put(key: string, body: ObjectBody, opts: PutOptions & { sha256: false }): Promise<PutSize>;
  put(key: string, body: ObjectBody, opts?: PutOptions): Promise<PutResult>;
  /** The whole object in memory; rejects with ObjectNotFoundError. */
  get(key: string): Promise<Buffer>;
  /**
   * The object, or part of it, as a stream. Rejects (before any byte) with ObjectNotFoundError, or with
   * InvalidRangeError when `range.start` > 0 lies beyond the last byte; an `end` past it is clamped.
   */
  stream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  /** null when there is no object under the key. */
  stat(key: string): Promise<ObjectInfo | null>;
  /**
   * Objects whose key starts with `prefix` (a plain string prefix, as in S3, not a folder), in
   * ascending UTF-8 byte order of their keys, streamed page by page.
   */
  list(prefix: string): AsyncIterable<ObjectListing>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Deletes every object `list(prefix)` yields and returns how many; an empty prefix is refused. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * A URL anyone can GET for `ttlSeconds` (1 s to 7 days), named `filename` when downloaded. null on
   * the fs driver: the caller streams the object itself.
   */
  presignGet(key: string, ttlSeconds: number, opts?: { filename?: string }): Promise<string | null>;
  /** Creates the bucket or directory if missing. Idempotent; other methods call it on first use. */
  ensureReady(): Promise<void>;
  /** Resolves when the store is reachable and writable (readiness probes). */
  ping(): Promise<void>;
}
