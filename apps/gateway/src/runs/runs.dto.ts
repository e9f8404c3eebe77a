import { runVariablesProblems } from '@kiln/api-wire';
import { INJECTED_VARIABLES } from '@kiln/definition';
import { RUN_STATUSES } from '@kiln/engine';
import { ApiProperty, ApiPropertyOptional } from '../common/api-docs';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { IsGitRef } from '../common/git-names';
import { PageQuery } from '../common/pagination';

export const TRIGGERS = ['manual', 'webhook', 'schedule', 'retry'] as const;

export class CreateRunDto {
  @ApiProperty({ example: 'main', description: 'branch, tag or commit sha, resolved against the repository' })
  @IsString()
  @IsGitRef('git_ref')
  git_ref!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { DEPLOY_TARGET: 'staging' },
    description:
      "added to every step's environment over the definition's values; names as in environment:, not Kiln's own " +
      'variables; plain text (no ${{ }})',
  })
  @IsOptional()
  @ValidateBy({
    name: 'runVariables',
    validator: {
      validate: (value: unknown) => variablesProblems(value).length === 0,
      defaultMessage: (args) => variablesProblems(args?.value).join('; '),
    },
  })
  variables?: Record<string, string>;
}

/** The message rules of run variables, and no name Kiln sets itself (the step would never see the value). */
function variablesProblems(value: unknown): string[] {
  const problems = runVariablesProblems(value);
  if (problems.length > 0) return problems;
  const injected = Object.keys(value as object).filter((name) => (INJECTED_VARIABLES as readonly string[]).includes(name));
  return injected.map((name) => `variables: ${name} is set by Kiln in every step and cannot be given`);
}

export class RetryRunDto {
  @ApiPropertyOptional({ default: false, description: 'reuse the results of the steps that succeeded' })
  @IsOptional()
  @IsBoolean()
  failed_only?: boolean;
}

export class CancelRunDto {
  @ApiPropertyOptional({ example: 'wrong branch' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}

export class DecideStepDto {
  @ApiPropertyOptional({ example: 'checked the staging deploy' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  comment?: string;
}

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((v) => v.trim()) : value;

export class RunsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'one or more, comma-separated', example: 'running,queued' })
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(RUN_STATUSES.length)
  @IsIn(RUN_STATUSES, { each: true, message: `status must be one of: ${RUN_STATUSES.join(', ')}` })
  status?: string[];

  @ApiPropertyOptional({ description: 'git ref as requested, branch or tag (exact match)', example: 'main' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  ref?: string;

  @ApiPropertyOptional({ example: 'main' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  branch?: string;

  @ApiPropertyOptional({ description: 'one or more, comma-separated', enum: TRIGGERS })
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(TRIGGERS.length)
  @IsIn(TRIGGERS, { each: true, message: `trigger must be one of: ${TRIGGERS.join(', ')}` })
  trigger?: string[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'pipeline_id must be a UUID' })
  pipeline_id?: string;

  @ApiPropertyOptional({ description: 'pipeline name' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  pipeline?: string;

  @ApiPropertyOptional({ example: '2030-01-01T00:00:00Z', description: 'created at or after' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'created_from must be an ISO 8601 date' })
  created_from?: string;

  @ApiPropertyOptional({ description: 'created before' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'created_to must be an ISO 8601 date' })
  created_to?: string;
}

export class AllRunsQuery extends RunsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'project_id must be a UUID' })
  project_id?: string;
}

export class StepJson {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ nullable: true, type: Number }) exit_code!: number | null;
  @ApiProperty({ type: [String] }) depends_on!: string[];
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty({ nullable: true, type: Number }) duration_ms!: number | null;
  @ApiProperty({ nullable: true, type: String }) log_ref!: string | null;
  @ApiProperty({ description: 'empty for a build step' }) image!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'the image that ran, pinned (name@sha256:… or an image id); for a build step, the image it pushed',
  })
  image_digest!: string | null;
  @ApiProperty() attempt!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "a failed-only retry reused this step's result: the run it came from",
  })
  reused_from!: string | null;
}

export class TestSummaryJson {
  @ApiProperty() tests!: number;
  @ApiProperty() failures!: number;
  @ApiProperty() errors!: number;
  @ApiProperty() skipped!: number;
}

export class ApprovalDecisionJson {
  @ApiProperty({ format: 'uuid' }) step_id!: string;
  @ApiProperty() approved!: boolean;
  @ApiProperty({ description: 'the name of who decided' }) by!: string;
  @ApiProperty({ nullable: true, type: String }) comment!: string | null;
  @ApiProperty() at!: string;
}

export class RunJson {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() number!: number;
  @ApiProperty({ format: 'uuid' }) project_id!: string;
  @ApiProperty({ format: 'uuid' }) pipeline_id!: string;
  @ApiProperty({ enum: RUN_STATUSES }) status!: string;
  @ApiProperty({ enum: TRIGGERS }) trigger!: string;
  @ApiProperty() triggered_by!: string;
  @ApiProperty() event!: string;
  @ApiProperty() git_ref!: string;
  @ApiProperty({ nullable: true, type: String }) branch!: string | null;
  @ApiProperty({ nullable: true, type: String }) tag!: string | null;
  @ApiProperty({ nullable: true, type: String }) commit_sha!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "the commit's message, from the webhook that started the run" })
  commit_message!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "the commit author's name, from the webhook" })
  commit_author!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the pull (merge) request page of a merge request run' })
  pull_request_url!: string | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: String }) retry_of!: string | null;
  @ApiProperty({ description: 'started by a pull request whose head is in another repository (a fork)' })
  from_fork!: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'why the run gets no project secrets and no deploy hand-off; null when it gets them',
  })
  secrets_withheld!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description:
      'GET of one run only: its place in the queue while it waits for a concurrency slot (1 = next), else null',
  })
  queue_position?: number | null;
  @ApiPropertyOptional({
    type: [ApprovalDecisionJson],
    description: 'GET of one run only: who approved or rejected its approval steps',
  })
  approvals?: ApprovalDecisionJson[];
  @ApiPropertyOptional({
    nullable: true,
    type: () => TestSummaryJson,
    description: "GET of one run only: its JUnit reports' counts (artifacts with report: junit), else null",
  })
  test_summary?: TestSummaryJson | null;
  @ApiProperty({ type: [StepJson] }) steps!: StepJson[];
}
