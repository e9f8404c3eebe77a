import { ApiProperty } from '../common/api-docs';

export class ArtifactJson {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) run_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'the file path in the step workspace' }) path!: string;
  @ApiProperty() content_type!: string;
  @ApiProperty() size_bytes!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ nullable: true, type: String }) expires_at!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ description: 'GET it (with the token) for the file' }) download_path!: string;
}
