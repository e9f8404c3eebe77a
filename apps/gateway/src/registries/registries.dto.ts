import { ApiProperty } from '../common/api-docs';
import { IsString, Length } from 'class-validator';

export class PutRegistryCredentialDto {
  @ApiProperty({ example: 'ci-puller' })
  @IsString()
  @Length(1, 256)
  username!: string;

  @ApiProperty({ description: 'write-only: never returned by the API', writeOnly: true })
  @IsString()
  @Length(1, 65_536)
  password!: string;
}

export class RegistryCredentialJson {
  @ApiProperty({ example: 'registry.example.com:5000' }) server!: string;
  @ApiProperty() username!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}
