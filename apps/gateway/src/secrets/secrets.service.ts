import { SecretBox } from '@kiln/crypto';
import { PrismaService, Secret } from '@kiln/db';
import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { AuditService } from '../audit/audit.service';
import { NotFoundError } from '@kiln/errors';
import { SECRET_BOX } from '../common/secret-box.provider';

/** Project secrets: encrypted at rest, bound to the project id, write-only over the API. */
@Injectable()
export class SecretsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  async names(actor: Actor, projectId: string) {
    await this.access.require(actor, projectId, 'write');
    const rows = await this.prisma.secret.findMany({ where: { projectId }, orderBy: { name: 'asc' } });
    return { items: rows.map(presentSecret), next_cursor: null };
  }

  async put(actor: Actor, projectId: string, name: string, value: string) {
    await this.access.require(actor, projectId, 'admin');
    const valueEnc = this.box.encrypt(value, projectId);
    const row = await this.prisma.secret.upsert({
      where: { projectId_name: { projectId, name } },
      create: { projectId, name, valueEnc },
      update: { valueEnc },
    });
    await this.audit.record(actor, { action: 'secret.put', targetType: 'secret', targetId: name, projectId });
    return presentSecret(row);
  }

  async remove(actor: Actor, projectId: string, name: string): Promise<void> {
    await this.access.require(actor, projectId, 'admin');
    const { count } = await this.prisma.secret.deleteMany({ where: { projectId, name } });
    if (count === 0) throw new NotFoundError(`secret ${name} not found`);
    await this.audit.record(actor, {
      action: 'secret.delete',
      targetType: 'secret',
      targetId: name,
      projectId,
    });
  }
}

function presentSecret(row: Secret) {
  return { name: row.name, created_at: row.createdAt.toISOString(), updated_at: row.updatedAt.toISOString() };
}
