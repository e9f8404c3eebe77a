import { PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { Request } from 'express';
import { AuthService } from '../auth/auth.service';
import { ProjectAccessService } from '../auth/project-access.service';
import { NotFoundError } from '@kiln/errors';
import { NEWEST_FIRST } from '../common/pagination';
import { badgeSvg } from './badge-svg';
import { BadgeQuery } from './badges.dto';

/** The status badge of a project's latest run (of one pipeline, on one branch when asked). */
@Injectable()
export class BadgesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: AuthService,
    private readonly access: ProjectAccessService,
  ) {}

  async render(req: Request, projectId: string, query: BadgeQuery): Promise<string> {
    await this.authorize(req, projectId);
    const pipeline = query.pipeline ? await this.pipeline(projectId, query.pipeline) : undefined;
    const run = await this.prisma.run.findFirst({
      where: {
        projectId,
        ...(pipeline ? { pipelineId: pipeline.id } : {}),
        ...(query.branch ? { branch: query.branch } : {}),
      },
      orderBy: NEWEST_FIRST,
      select: { status: true },
    });
    return badgeSvg(pipeline?.name ?? 'build', run?.status ?? 'no runs');
  }

  /**
   * A project that made its badge public serves it to anyone; any other needs a token that can
   * read the project (401 without one, 404 when it cannot, so a private project's existence is not told).
   */
  private async authorize(req: Request, projectId: string): Promise<void> {
    const project = await this.prisma.project.findUnique({ where: { id: projectId }, select: { publicBadge: true } });
    if (project?.publicBadge) return;
    const actor = await this.auth.authenticate(req);
    await this.access.require(actor, projectId, 'read');
  }

  private async pipeline(projectId: string, ref: string) {
    const pipeline = await this.prisma.pipeline.findFirst({
      where: { projectId, deletedAt: null, ...(isUUID(ref) ? { id: ref } : { name: ref }) },
      select: { id: true, name: true },
    });
    if (!pipeline) throw new NotFoundError(`pipeline ${ref} not found`);
    return pipeline;
  }
}
