import { Get, Param, Query } from '@nestjs/common';
import { ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import { ProjectParams } from '../common/params';
import { AuditQuery } from './audit.dto';
import { AuditReader } from './audit-reader.service';

@ApiController('', 'audit')
export class AuditController {
  constructor(private readonly audit: AuditReader) {}

  @Get('audit')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Audit log of the whole platform (platform admins)' })
  all(@Query() query: AuditQuery) {
    return this.audit.all(query);
  }

  @Get('projects/:id/audit')
  @ApiOperation({ summary: "A project's audit log (project admins)" })
  ofProject(@CurrentActor() actor: Actor, @Param() params: ProjectParams, @Query() query: AuditQuery) {
    return this.audit.ofProject(actor, params.id, query);
  }
}
