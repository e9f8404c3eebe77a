import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Min, ValidateNested } from 'class-validator';

export class LogLine {
  /** Milliseconds since the epoch when the executor read the line. */
  @IsInt() ts!: number;
  @IsIn(['stdout', 'stderr', 'system']) stream!: 'stdout' | 'stderr' | 'system';
  @IsString() text!: string;
}

/**
 * Consecutive log lines of one step attempt, published on `kiln.logs.<runId>.<stepId>`.
 * `seq` starts at 0 and has no gaps; the chunk with `final: true` is the last one.
 */
export class LogChunkEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsString() stepName!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsInt() @Min(0) seq!: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => LogLine) lines!: LogLine[];
  @IsBoolean() final!: boolean;
  @IsOptional() @IsInt() exitCode?: number;
}
