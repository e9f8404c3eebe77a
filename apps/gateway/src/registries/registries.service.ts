import { SecretBox } from '@kiln/crypto';
import { PrismaService, RegistryCredential } from '@kiln/db';
import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { AuditService } from '../audit/audit.service';
import { NotFoundError } from '@kiln/errors';
import { SECRET_BOX } from '../common/secret-box.provider';

/**
 * Registry credentials: the password is kept like a secret (encrypted, bound to the project id,
 * write-only over the API); the server is only checked for syntax here, the executor vets the
 * host with the SSRF guard at each pull.
 */
@Injectable()
export class RegistriesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  async list(actor: Actor, projectId: string) {
    await this.access.require(actor, projectId, 'write');
    const rows = await this.prisma.registryCredential.findMany({
      where: { projectId },
      orderBy: { server: 'asc' },
    });
    return { items: rows.map(presentCredential), next_cursor: null };
  }

  async put(actor: Actor, projectId: string, server: string, input: { username: string; password: string }) {
    await this.access.require(actor, projectId, 'admin');
    const passwordEnc = this.box.encrypt(input.password, projectId);
    const row = await this.prisma.registryCredential.upsert({
      where: { projectId_server: { projectId, server } },
      create: { projectId, server, username: input.username, passwordEnc },
      update: { username: input.username, passwordEnc },
    });
    await this.audit.record(actor, {
      action: 'registry_credential.put',
      targetType: 'registry_credential',
      targetId: server,
      projectId,
    });
    return presentCredential(row);
  }

  async remove(actor: Actor, projectId: string, server: string): Promise<void> {
    await this.access.require(actor, projectId, 'admin');
    const { count } = await this.prisma.registryCredential.deleteMany({ where: { projectId, server } });
    if (count === 0) throw new NotFoundError(`registry credential ${server} not found`);
    await this.audit.record(actor, {
      action: 'registry_credential.delete',
      targetType: 'registry_credential',
      targetId: server,
      projectId,
    });
  }
}

function presentCredential(row: RegistryCredential) {
  return {
    server: row.server,
    username: row.username,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
