import { IsIn, IsInt, IsString, IsUUID, MaxLength, Min } from 'class-validator';

/**
 * The log archiver stored one attempt's log. The scheduler, the only writer of steps, points the
 * step at it (`log_ref`, `log_bytes`) while the attempt is the step's current one.
 */
export class StepLogArchivedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsInt() @Min(1) attempt!: number;
  /** The object's key in object storage (`stepLogKey`). */
  @IsString() @MaxLength(1000) logRef!: string;
  @IsInt() @Min(0) logBytes!: number;
}
