import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class PutSecretDto {
  @ApiProperty({ description: 'write-only: never returned by the API', writeOnly: true })
  @IsString()
  @Length(1, 65_536)
  value!: string;
}

export class SecretJson {
  @ApiProperty() name!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}
