import { IsArray, IsIn, IsInt, IsISO8601, IsString, Min } from 'class-validator';

/** Sent by every executor every few seconds; a silent executor is declared lost. */
export class ExecutorHeartbeatEvent {
  @IsIn([1]) version!: 1;
  @IsString() executorId!: string;
  @IsIn(['local', 'docker', 'kubernetes']) backend!: 'local' | 'docker' | 'kubernetes';
  @IsString() hostname!: string;
  @IsInt() @Min(0) capacity!: number;
  /** `<stepId>:<attempt>` of every step this executor is running now. */
  @IsArray() @IsString({ each: true }) runningSteps!: string[];
  @IsString() softwareVersion!: string;
  @IsISO8601() startedAt!: string;
  @IsISO8601() sentAt!: string;
}
