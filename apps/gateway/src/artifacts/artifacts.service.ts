import { Artifact, PrismaService } from '@kiln/db';
import { attachmentDisposition, OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Response } from 'express';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { GoneError, NotFoundError } from '@kiln/errors';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

/** Artifacts of a run: listed from their rows, downloaded from object storage. */
@Injectable()
export class ArtifactsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async list(actor: Actor, projectId: string, runId: string) {
    await this.access.require(actor, projectId, 'read');
    const run = await this.prisma.run.findFirst({ where: { id: runId, projectId }, select: { id: true } });
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    const rows = await this.prisma.artifact.findMany({
      where: { runId, projectId, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
      orderBy: [{ name: 'asc' }, { path: 'asc' }],
    });
    return { items: rows.map(presentArtifact), next_cursor: null };
  }

  /** A presigned redirect when the store makes one (S3), else the bytes through the gateway. */
  async download(
    actor: Actor,
    projectId: string,
    artifactId: string,
    runId: string | undefined,
    res: Response,
  ): Promise<void> {
    await this.access.require(actor, projectId, 'read');
    const artifact = await this.prisma.artifact.findFirst({
      where: { id: artifactId, projectId, ...(runId ? { runId } : {}) },
    });
    if (!artifact) throw new NotFoundError(`artifact ${artifactId} not found`);
    if (artifact.expiresAt && artifact.expiresAt <= new Date())
      throw new GoneError(`artifact ${artifactId} expired at ${artifact.expiresAt.toISOString()}`);
    const filename = posix.basename(artifact.path) || artifact.name;
    const url = await this.storage.presignGet(artifact.objectPath, this.config.KILN_PRESIGN_TTL_SECONDS, {
      filename,
    });
    if (url) return res.redirect(302, url);
    const body = await this.storage.stream(artifact.objectPath);
    res.set({
      'Content-Type': artifact.contentType,
      'Content-Length': artifact.sizeBytes.toString(),
      'Content-Disposition': attachmentDisposition(filename),
      'X-Content-Type-Options': 'nosniff',
      ETag: `"${artifact.sha256}"`,
    });
    await pipeline(body, res);
  }
}

export function presentArtifact(a: Artifact) {
  return {
    id: a.id,
    run_id: a.runId,
    name: a.name,
    path: a.path,
    content_type: a.contentType,
    size_bytes: Number(a.sizeBytes),
    sha256: a.sha256,
    expires_at: a.expiresAt?.toISOString() ?? null,
    created_at: a.createdAt.toISOString(),
    download_path: `/api/projects/${a.projectId}/runs/${a.runId}/artifacts/${a.id}/download`,
  };
}
