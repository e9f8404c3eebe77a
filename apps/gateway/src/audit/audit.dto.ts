import { ApiPropertyOptional } from '../common/api-docs';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'only this project (platform-wide listing)' })
  @IsOptional()
  @IsUUID('all', { message: 'project_id must be a UUID' })
  project_id?: string;

  @ApiPropertyOptional({ example: 'project.create' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z_-]+\.[a-z_-]+$/, { message: 'action must look like "project.create"' })
  action?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'actor_id must be a UUID' })
  actor_id?: string;
}
