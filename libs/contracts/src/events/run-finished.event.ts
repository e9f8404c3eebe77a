import { Type } from 'class-transformer';
import { IsArray, IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';

export class ArtifactSpec {
  @IsString() @MaxLength(200) name!: string;
  @IsString() @MaxLength(1000) path!: string;
  @IsOptional() expiresMs?: number;
  /** `junit`: the files are JUnit reports, summed into the run's test summary. */
  @IsOptional() @IsIn(['junit']) report?: 'junit';
}

/**
 * A run reached a terminal state. Executors collect its artifacts from the workspace and
 * remove the workspace; notifiers report the outcome.
 */
export class RunFinishedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() projectId!: string;
  @IsIn(['succeeded', 'failed', 'cancelled']) status!: 'succeeded' | 'failed' | 'cancelled';
  @IsArray() @ValidateNested({ each: true }) @Type(() => ArtifactSpec) artifacts!: ArtifactSpec[];
  @IsISO8601() finishedAt!: string;
}
