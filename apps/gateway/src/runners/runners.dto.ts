import { ApiProperty, ApiPropertyOptional } from '../common/api-docs';

export class RunnerJson {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['kubernetes', 'docker', 'local'] }) backend!: string;
  @ApiProperty() hostname!: string;
  @ApiProperty() version!: string;
  @ApiProperty() capacity!: number;
  @ApiProperty() running!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'running / capacity' }) load!: number | null;
  @ApiProperty({ description: 'a heartbeat in the last 30 s' }) online!: boolean;
  @ApiProperty() started_at!: string;
  @ApiProperty() last_heartbeat_at!: string;
  @ApiPropertyOptional({ type: [String], description: 'platform admins only: the steps it runs now' })
  running_steps?: string[];
}
