import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { AuditQuery } from './audit.dto';
import { AuditService } from './audit.service';

/** Reading the audit log: platform-wide for admins, per project for project admins. */
@Injectable()
export class AuditReader {
  constructor(
    private readonly audit: AuditService,
    private readonly access: ProjectAccessService,
  ) {}

  all(query: AuditQuery) {
    return this.audit.list(query);
  }

  async ofProject(actor: Actor, projectId: string, query: AuditQuery) {
    await this.access.require(actor, projectId, 'admin');
    return this.audit.list(query, projectId);
  }
}
