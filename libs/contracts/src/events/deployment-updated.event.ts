import { IsIn, IsString, IsUUID } from 'class-validator';

/** Desired deployment state handed to the deployer after a successful image build. */
export class DeploymentUpdatedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() projectId!: string;
  @IsUUID() runId!: string;
  @IsString() imageRef!: string;
  @IsIn(['active', 'stopped']) desiredStatus!: 'active' | 'stopped';
}
