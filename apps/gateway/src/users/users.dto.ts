import { ApiProperty, ApiPropertyOptional } from '../common/api-docs';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsOptional, IsString, Length } from 'class-validator';

export class CreateUserDto {
  @ApiProperty({ example: 'Ada Lovelace' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ example: 'ada@example.com' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'email must be an email address' })
  @Length(3, 254)
  email!: string;

  @ApiPropertyOptional({ default: false, description: 'platform admin (sees every project)' })
  @IsOptional()
  @IsBoolean()
  is_admin?: boolean;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Ada Lovelace' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'email must be an email address' })
  @Length(3, 254)
  email?: string;

  @ApiPropertyOptional({ description: "true revokes every token of the user; false lets new tokens work again" })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class UserJson {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiProperty() is_admin!: boolean;
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) disabled_at!: string | null;
  @ApiProperty() created_at!: string;
}

export class CreatedUserJson extends UserJson {
  @ApiProperty({ description: 'the first API token of the user; shown only in this answer' }) token!: string;
  @ApiProperty({ format: 'uuid' }) token_id!: string;
}

export class MembershipJson {
  @ApiProperty({ format: 'uuid' }) project_id!: string;
  @ApiProperty() project_name!: string;
  @ApiProperty({ enum: ['read', 'write', 'admin'] }) role!: string;
}

export class MeJson extends UserJson {
  @ApiProperty({ format: 'uuid' }) token_id!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: [MembershipJson] }) memberships!: MembershipJson[];
}
