import { IsIn, IsInt, IsISO8601, IsString, IsUUID, Min } from 'class-validator';

export class StepStartedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsString() executorId!: string;
  /** Pod or sandbox name. */
  @IsString() sandboxName!: string;
  @IsISO8601() startedAt!: string;
}
