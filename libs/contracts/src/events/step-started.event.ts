import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';

export class StepStartedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsString() executorId!: string;
  /** Pod or sandbox name. */
  @IsString() sandboxName!: string;
  @IsISO8601() startedAt!: string;
  /** The image that runs, pinned (`name@sha256:…`, or the image id of a local image), where the backend knows it. */
  @IsOptional() @IsString() @MaxLength(600) imageDigest?: string;
}
