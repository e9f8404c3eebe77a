import { ApiProperty } from '../common/api-docs';
import { IsIn, IsUUID } from 'class-validator';

export const ROLES = ['read', 'write', 'admin'] as const;
const ROLE_RULE = { message: `role must be one of: ${ROLES.join(', ')}` };

export class AddMemberDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'user_id must be a UUID' })
  user_id!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, ROLE_RULE)
  role!: (typeof ROLES)[number];
}

export class UpdateMemberDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, ROLE_RULE)
  role!: (typeof ROLES)[number];
}

export class MemberJson {
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiProperty() created_at!: string;
}
