import { Deployment, PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';

/** The desired deployment the scheduler handed to the deployer (one per project). */
@Injectable()
export class DeploymentsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
  ) {}

  async list(actor: Actor, projectId: string) {
    await this.access.require(actor, projectId, 'read');
    const rows = await this.prisma.deployment.findMany({
      where: { projectId },
      orderBy: { updatedAt: 'desc' },
    });
    return { items: rows.map(presentDeployment), next_cursor: null };
  }
}

function presentDeployment(d: Deployment) {
  return {
    id: d.id,
    project_id: d.projectId,
    image_ref: d.imageRef,
    desired_status: d.desiredStatus,
    run_id: d.runId,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}
