import { ApiProperty, ApiPropertyOptional } from '../common/api-docs';
import { IsBoolean, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { MultilineText } from '../common/control-characters.pipe';

const NAME = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;
const NAME_RULE =
  'name must be at most 63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
/** Relative, inside the repository: no leading "/", no "..", no backslashes or control characters. */
const CONFIG_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\\\p{Cc}]+$/u;
const CONFIG_PATH_RULE =
  'config_path must be a relative path inside the repository (no leading "/" and no "..")';
const MAX_YAML = 1024 * 1024;

export class CreatePipelineDto {
  @ApiProperty({ example: 'build' })
  @IsString()
  @MaxLength(63, { message: NAME_RULE })
  @Matches(NAME, { message: NAME_RULE })
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @MultilineText()
  description?: string;

  @ApiPropertyOptional({
    description: 'inline definition; without it the definition is read from each commit at config_path',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_YAML)
  @MultilineText()
  yaml_config?: string;

  @ApiPropertyOptional({ default: '.platform.yaml' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  @Matches(CONFIG_PATH, { message: CONFIG_PATH_RULE })
  config_path?: string;

  @ApiPropertyOptional({
    default: false,
    description: 'a new run on a branch cancels older unfinished runs of that branch',
  })
  @IsOptional()
  @IsBoolean()
  cancel_previous?: boolean;
}

/** Fields given are replaced; `yaml_config: null` turns the pipeline into a repository-sourced one. */
export class UpdatePipelineDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(63, { message: NAME_RULE })
  @Matches(NAME, { message: NAME_RULE })
  name?: string;

  @ApiPropertyOptional({ nullable: true, type: String })
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @IsString()
  @MaxLength(1000)
  @MultilineText()
  description?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @IsString()
  @MaxLength(MAX_YAML)
  @MultilineText()
  yaml_config?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 500)
  @Matches(CONFIG_PATH, { message: CONFIG_PATH_RULE })
  config_path?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  cancel_previous?: boolean;
}

export class ValidateDefinitionDto {
  @ApiProperty({ description: 'the .platform.yaml text to lint' })
  @IsString()
  @MaxLength(MAX_YAML)
  @MultilineText()
  yaml_config!: string;

  @ApiPropertyOptional({
    description: 'also return the mapped pipeline in .platform.yaml form (what a CircleCI file became)',
  })
  @IsOptional()
  @IsBoolean()
  explain?: boolean;
}

export class DefinitionErrorJson {
  @ApiProperty() path!: string;
  @ApiProperty() line!: number;
  @ApiProperty() column!: number;
  @ApiProperty() message!: string;
}

export class ValidatedStepJson {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'empty for a build step' }) image!: string;
  @ApiProperty({ type: [String] }) commands!: string[];
  @ApiProperty({ type: [String] }) depends_on!: string[];
  @ApiProperty({ nullable: true, type: Number }) timeout_ms!: number | null;
}

export class ValidationResultJson {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ type: [DefinitionErrorJson] }) errors!: DefinitionErrorJson[];
  @ApiProperty({ type: [DefinitionErrorJson] }) warnings!: DefinitionErrorJson[];
  @ApiPropertyOptional({ type: [ValidatedStepJson], description: 'the steps in run order, when valid' })
  steps?: ValidatedStepJson[];
  @ApiPropertyOptional({ enum: ['platform', 'circleci'], description: 'the file format, when valid' })
  format?: string;
  @ApiPropertyOptional({
    description: 'with explain: the mapped pipeline in .platform.yaml form, when valid',
  })
  explained?: object;
}

export class PipelineJson {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) project_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ['inline', 'repository'] }) source!: string;
  @ApiProperty({ nullable: true, type: String }) yaml_config!: string | null;
  @ApiProperty() config_path!: string;
  @ApiProperty() cancel_previous!: boolean;
  @ApiProperty({ nullable: true, type: String }) schedule_cron!: string | null;
  @ApiProperty({ nullable: true, type: String }) next_schedule_at!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}
