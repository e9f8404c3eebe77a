import { IsIn, IsString, IsUUID, MaxLength } from 'class-validator';

/** Cancel a run: running steps are killed, pending ones cancelled. */
export class RunCancelEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsString() @MaxLength(200) requestedBy!: string;
  @IsString() @MaxLength(1000) reason!: string;
}
