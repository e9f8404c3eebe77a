import { encodeTestSummary, Prisma, PrismaService, TestSummary } from '@kiln/db';
import { ConflictError, NotFoundError } from '@kiln/errors';
import { OBJECT_STORAGE, ObjectStorage, PutResult } from '@kiln/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { posix } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { ArtifactMetrics } from '../common/artifact-metrics';
import { ARTIFACT_CONFIG, ArtifactConfig } from '../config';
import { ByteLimit } from './byte-limit';
import { JUNIT_MAX_BYTES, junitSummary } from './junit-summary';
import { uploadAborted, uploadTooLarge } from './upload-errors';
import { UploadRequest } from './upload-request';

export interface StoredArtifact {
  /** False when the same object path was stored before and has been replaced. */
  created: boolean;
  body: { id: string; object_path: string; size_bytes: number; sha256: string };
}

export interface ArtifactDownload {
  stream: Readable;
  contentType: string;
  size: number;
  filename: string;
}

// The fs store cannot hold both `a` and `a/b`: these are what it fails with when asked to.
const PATH_COLLISIONS = new Set(['EISDIR', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY']);

/** Stores artifact files streamed by executors and records them in `artifacts`. */
@Injectable()
export class ArtifactsService {
  private readonly logger = new Logger(ArtifactsService.name);

  constructor(
    private readonly prisma: PrismaService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(ARTIFACT_CONFIG) private readonly config: ArtifactConfig,
    private readonly metrics: ArtifactMetrics,
  ) {}

  /** Streams `body` to storage (never whole in memory), then inserts or replaces the row for its object path. */
  async store(request: UploadRequest, body: Readable): Promise<StoredArtifact> {
    const maxBytes = this.config.KILN_ARTIFACT_MAX_BYTES;
    if (request.declaredSize !== undefined && request.declaredSize > maxBytes)
      throw uploadTooLarge('the artifact file', maxBytes);
    await this.assertRunExists(request.runId, request.projectId);
    const { size, sha256 } = await this.putObject(request, body);
    const testSummary = request.report === 'junit' ? await this.readReport(request, size) : undefined;
    const { id, created } = await this.upsertRow(request, size, sha256, testSummary);
    this.metrics.stored.inc();
    this.metrics.bytes.inc(size);
    this.logger.log(
      { runId: request.runId, artifact: request.name, path: request.path, size, created },
      'artifact file stored',
    );
    return { created, body: { id, object_path: request.objectPath, size_bytes: size, sha256 } };
  }

  async download(id: string, projectId: string): Promise<ArtifactDownload> {
    const row = await this.prisma.artifact.findFirst({ where: { id, projectId } });
    if (!row) throw new NotFoundError(`artifact ${id} not found in project ${projectId}`);
    const stream = (await this.storage.stream(row.objectPath)) as Readable;
    return {
      stream,
      contentType: row.contentType,
      size: Number(row.sizeBytes),
      filename: posix.basename(row.path),
    };
  }

  /** A JUnit report's counts, read back from storage; none for a file too large or not a report. */
  private async readReport(request: UploadRequest, size: number): Promise<TestSummary | undefined> {
    if (size > JUNIT_MAX_BYTES || !request.path.toLowerCase().endsWith('.xml')) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of (await this.storage.stream(request.objectPath)) as Readable) chunks.push(chunk as Buffer);
    const summary = junitSummary(Buffer.concat(chunks).toString('utf8'));
    if (!summary) this.logger.warn({ runId: request.runId, path: request.path }, 'test report is not JUnit XML');
    return summary;
  }

  private async assertRunExists(runId: string, projectId: string): Promise<void> {
    const run = await this.prisma.run.findFirst({ where: { id: runId, projectId }, select: { id: true } });
    if (!run) throw new NotFoundError(`run ${runId} not found in project ${projectId}`);
  }

  private async putObject(request: UploadRequest, body: Readable): Promise<PutResult> {
    const limit = new ByteLimit(this.config.KILN_ARTIFACT_MAX_BYTES);
    // pipeline destroys both streams when either fails, so a dropped connection fails the put
    // instead of leaving it waiting; the error itself reaches us through the put.
    const limited = pipeline(body, limit, () => undefined);
    try {
      return await this.storage.put(request.objectPath, limited, {
        contentType: request.contentType,
        size: request.declaredSize,
      });
    } catch (error) {
      if (limit.exceeded) throw uploadTooLarge('the artifact file', this.config.KILN_ARTIFACT_MAX_BYTES);
      if (body.errored || (body as Readable & { complete?: boolean }).complete === false) {
        this.logger.warn(
          { runId: request.runId, path: request.path },
          'artifact upload aborted by the client',
        );
        throw uploadAborted();
      }
      if (PATH_COLLISIONS.has((error as NodeJS.ErrnoException).code ?? '')) {
        throw new ConflictError(
          `path "${request.path}" collides with another file of artifact ${request.name} (a file and a folder of the same name)`,
        );
      }
      throw error;
    }
  }

  private async upsertRow(
    request: UploadRequest,
    size: number,
    sha256: string,
    testSummary: TestSummary | undefined,
  ): Promise<{ id: string; created: boolean }> {
    const { objectPath } = request;
    const data = {
      contentType: request.contentType,
      sizeBytes: BigInt(size),
      sha256,
      expiresAt: request.expiresAt,
      testSummary: testSummary ? encodeTestSummary(testSummary) : Prisma.DbNull,
    };
    const before = await this.prisma.artifact.findUnique({ where: { objectPath }, select: { id: true } });
    try {
      const row = await this.prisma.artifact.upsert({
        where: { objectPath },
        create: {
          runId: request.runId,
          projectId: request.projectId,
          name: request.name,
          path: request.path,
          objectPath,
          ...data,
        },
        update: data,
        select: { id: true },
      });
      return { id: row.id, created: before === null };
    } catch (error) {
      // The run was deleted while its file was uploading: the object belongs to nothing now.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') {
        await this.storage.delete(objectPath);
        throw new NotFoundError(`run ${request.runId} not found in project ${request.projectId}`);
      }
      throw error;
    }
  }
}
