import { ApiProperty, ApiPropertyOptional } from '../common/api-docs';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsGitRef } from '../common/git-names';
import { IsRepoFullName } from './repo-full-name';

export const PROVIDERS = ['github', 'gitlab', 'git'] as const;
const PROJECT_NAME = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;
const NAME_RULE =
  'name must be at most 63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit';

export class CreateProjectDto {
  @ApiProperty({ example: 'api-server' })
  @IsString()
  @MaxLength(63, { message: NAME_RULE })
  @Matches(PROJECT_NAME, { message: NAME_RULE })
  name!: string;

  @ApiProperty({ example: 'https://github.com/acme/api-server.git' })
  @IsString()
  @Length(1, 2000)
  repo_url!: string;

  @ApiPropertyOptional({
    example: 'acme/api-server',
    description:
      "the repository's name at the provider, which webhooks are matched by; derived from repo_url when omitted (set it when repo_url is a mirror or a local path)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @IsRepoFullName()
  repo_full_name?: string;

  @ApiProperty({ enum: PROVIDERS })
  @IsIn(PROVIDERS, { message: `provider must be one of: ${PROVIDERS.join(', ')}` })
  provider!: (typeof PROVIDERS)[number];

  @ApiPropertyOptional({ default: 'main' })
  @IsOptional()
  @IsGitRef('default_branch')
  default_branch?: string;

  @ApiPropertyOptional({ description: 'provider webhook secret; generated (and shown once) when omitted' })
  @IsOptional()
  @IsString()
  @Length(8, 256)
  webhook_secret?: string;
}

export class UpdateProjectDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(63, { message: NAME_RULE })
  @Matches(PROJECT_NAME, { message: NAME_RULE })
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  repo_url?: string;

  @ApiPropertyOptional({
    example: 'acme/api-server',
    description:
      "the repository's name at the provider, which webhooks are matched by; derived from repo_url when omitted (set it when repo_url is a mirror or a local path)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @IsRepoFullName()
  repo_full_name?: string;

  @ApiPropertyOptional({ enum: PROVIDERS })
  @IsOptional()
  @IsIn(PROVIDERS, { message: `provider must be one of: ${PROVIDERS.join(', ')}` })
  provider?: (typeof PROVIDERS)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @IsGitRef('default_branch')
  default_branch?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(8, 256)
  webhook_secret?: string;

  @ApiPropertyOptional({
    nullable: true,
    description: 'most runs of this project running at once; null = no limit',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  concurrency_limit?: number | null;

  @ApiPropertyOptional({
    description:
      'give runs of pull requests from forks the project secrets and the deploy hand-off (default false: they get neither)',
  })
  @IsOptional()
  @IsBoolean()
  secrets_for_forks?: boolean;

  @ApiPropertyOptional({
    description: 'serve the status badge (badge.svg) to anyone, without a token (default false: readers only)',
  })
  @IsOptional()
  @IsBoolean()
  public_badge?: boolean;
}

export class ProjectJson {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() repo_url!: string;
  @ApiProperty({ nullable: true, type: String }) repo_full_name!: string | null;
  @ApiProperty({ enum: PROVIDERS }) provider!: string;
  @ApiProperty() default_branch!: string;
  @ApiProperty({ nullable: true, type: Number }) concurrency_limit!: number | null;
  @ApiProperty() secrets_for_forks!: boolean;
  @ApiProperty() public_badge!: boolean;
  @ApiProperty({ enum: ['read', 'write', 'admin'], description: "the caller's role" }) role!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
  @ApiProperty({ nullable: true, type: String }) last_activity_at!: string | null;
}

export class CreatedProjectJson extends ProjectJson {
  @ApiPropertyOptional({ description: 'the generated webhook secret, shown only in this answer' })
  webhook_secret?: string;
}
