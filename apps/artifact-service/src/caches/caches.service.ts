import { Prisma, PrismaService } from '@kiln/db';
import { cacheObjectKey, OBJECT_STORAGE, ObjectNotFoundError, ObjectStorage } from '@kiln/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { pipeline, Readable } from 'node:stream';
import { ByteLimit } from '../artifacts/byte-limit';
import { NotFoundError } from '@kiln/errors';
import { uploadAborted, uploadTooLarge } from '../artifacts/upload-errors';
import { ARTIFACT_CONFIG, ArtifactConfig } from '../config';
import { CacheAddress, CacheLookup } from './cache-request';

export interface CacheEntry {
  /** The key found: the one asked for, or the newest starting with a restore key. */
  key: string;
  size: number;
  stream: Readable;
}

interface CacheRow {
  id: string;
  key: string;
  objectPath: string;
  sizeBytes: bigint;
}

/**
 * Step caches: one gzipped tar per project and rendered key (`caches/<project>/<sha256>.tar.gz`),
 * recorded in `caches`. An entry is written once and never replaced, as in CircleCI and GitHub
 * Actions (a new content needs a new key); restoring one marks it used for the expiry sweep.
 */
@Injectable()
export class CachesService {
  private readonly logger = new Logger(CachesService.name);

  constructor(
    private readonly prisma: PrismaService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(ARTIFACT_CONFIG) private readonly config: ArtifactConfig,
  ) {}

  /** Stores `body` unless the key has an entry already; answers whether it did. */
  async save(address: CacheAddress, body: Readable, declaredSize?: number): Promise<{ created: boolean }> {
    const maxBytes = this.config.KILN_CACHE_MAX_BYTES;
    if (declaredSize !== undefined && declaredSize > maxBytes) throw uploadTooLarge('the cache archive', maxBytes);
    const existing = await this.prisma.cache.findUnique({
      where: { projectId_key: address },
      select: { id: true },
    });
    if (existing) return { created: false };
    const objectPath = cacheObjectKey(address.projectId, address.key);
    const { size } = await this.putObject(objectPath, body, declaredSize);
    try {
      await this.prisma.cache.upsert({
        where: { projectId_key: address },
        create: { ...address, objectPath, sizeBytes: BigInt(size) },
        // Two steps saved the same key at once: the object is one of theirs, whole either way.
        update: { sizeBytes: BigInt(size), lastUsedAt: new Date() },
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') {
        await this.storage.delete(objectPath);
        throw new NotFoundError(`project ${address.projectId} not found`);
      }
      throw error;
    }
    this.logger.log({ projectId: address.projectId, key: address.key, size }, 'cache saved');
    return { created: true };
  }

  /** The entry for the key, else for the first restore key that prefixes one; null on a miss. */
  async open(lookup: CacheLookup): Promise<CacheEntry | null> {
    for await (const row of this.candidates(lookup)) {
      await this.prisma.cache.updateMany({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
      try {
        const stream = (await this.storage.stream(row.objectPath)) as Readable;
        return { key: row.key, size: Number(row.sizeBytes), stream };
      } catch (error) {
        if (!(error instanceof ObjectNotFoundError)) throw error;
        // Swept between the lookup and the read: the row is stale, the next candidate may do.
        await this.prisma.cache.deleteMany({ where: { id: row.id } });
      }
    }
    return null;
  }

  private async *candidates(lookup: CacheLookup): AsyncGenerator<CacheRow> {
    const exact = await this.prisma.cache.findUnique({
      where: { projectId_key: { projectId: lookup.projectId, key: lookup.key } },
    });
    if (exact) yield exact;
    for (const prefix of lookup.restoreKeys) {
      // A plain prefix test: LIKE would take the "_" keys may contain for a wildcard.
      const [newest] = await this.prisma.$queryRaw<CacheRow[]>`
        SELECT id, key, object_path AS "objectPath", size_bytes AS "sizeBytes" FROM caches
        WHERE project_id = ${lookup.projectId}::uuid AND left(key, ${prefix.length}::int) = ${prefix}
        ORDER BY created_at DESC LIMIT 1`;
      if (newest) yield newest;
    }
  }

  private async putObject(objectPath: string, body: Readable, declaredSize?: number) {
    const limit = new ByteLimit(this.config.KILN_CACHE_MAX_BYTES);
    const limited = pipeline(body, limit, () => undefined);
    try {
      return await this.storage.put(objectPath, limited, {
        contentType: 'application/gzip',
        size: declaredSize,
      });
    } catch (error) {
      if (limit.exceeded) throw uploadTooLarge('the cache archive', this.config.KILN_CACHE_MAX_BYTES);
      if (body.errored || (body as Readable & { complete?: boolean }).complete === false)
        throw uploadAborted();
      throw error;
    }
  }
}
