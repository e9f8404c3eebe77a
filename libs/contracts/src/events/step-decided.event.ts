import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

/** A person approved or rejected a waiting approval step; the scheduler applies it. */
export class StepDecidedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsBoolean() approved!: boolean;
  @IsString() @MaxLength(200) decidedBy!: string;
  @IsOptional() @IsString() @MaxLength(1000) comment?: string;
}
