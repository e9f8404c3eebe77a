import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';

export const STEP_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

export class StepFinishedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsString() executorId!: string;
  @IsIn(STEP_OUTCOMES) status!: StepOutcome;
  @IsOptional() @IsInt() exitCode?: number;
  @IsOptional() @IsString() signal?: string;
  /** Why the step failed when the exit code alone does not say (timeout, OOM, image pull…). */
  @IsOptional() @IsString() @MaxLength(4000) error?: string;
  @IsOptional() @IsISO8601() startedAt?: string;
  @IsISO8601() finishedAt!: string;
  /**
   * Log chunks published for this attempt, so the archiver knows when it has them all.
   * Absent when the scheduler ends a step on an executor's behalf (executor lost, timeout).
   */
  @IsOptional() @IsInt() @Min(0) logChunks?: number;
  /** The image a build step pushed, with the digest the registry answered (`<ref>@sha256:…`). */
  @IsOptional() @IsString() @MaxLength(700) pushedImage?: string;
}
