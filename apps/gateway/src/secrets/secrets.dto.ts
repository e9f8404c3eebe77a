import { ApiProperty } from '../common/api-docs';
import { IsString, Length } from 'class-validator';
import { MultilineText } from '../common/control-characters.pipe';

export class PutSecretDto {
  @ApiProperty({ description: 'write-only: never returned by the API', writeOnly: true })
  @IsString()
  @Length(1, 65_536)
  @MultilineText()
  value!: string;
}

export class SecretJson {
  @ApiProperty() name!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}
