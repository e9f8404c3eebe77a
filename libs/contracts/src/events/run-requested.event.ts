import { IsBoolean, IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, ValidateBy } from 'class-validator';
import { runVariablesProblems } from '@kiln/api-wire';

export const TRIGGER_TYPES = ['manual', 'webhook', 'schedule', 'retry'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const RUN_EVENTS = ['push', 'tag', 'merge_request', 'manual', 'schedule', 'retry'] as const;
export type RunEventKind = (typeof RUN_EVENTS)[number];

/**
 * Ask the scheduler to create and start a run. The publisher allocates `runId`, so it
 * can answer with it at once; the scheduler creates the run with that id exactly once.
 */
export class RunRequestedEvent {
  @IsIn([1]) version!: 1;
  @IsUUID() runId!: string;
  @IsUUID() projectId!: string;
  @IsUUID() pipelineId!: string;
  @IsIn(TRIGGER_TYPES) trigger!: TriggerType;
  @IsString() @MaxLength(200) triggeredBy!: string;
  @IsIn(RUN_EVENTS) event!: RunEventKind;
  /** Full ref (`refs/heads/main`, `refs/tags/v1`) or what the user typed for manual runs. */
  @IsString() @MaxLength(1000) gitRef!: string;
  @IsOptional() @IsString() @MaxLength(1000) branch?: string;
  @IsOptional() @IsString() @MaxLength(1000) tag?: string;
  /** Commit to build; when absent the scheduler resolves `gitRef` against the repository. */
  @IsOptional() @IsString() @MaxLength(64) commitSha?: string;
  /** Shown with the run: the commit's message and author, and the merge request's page (http or https). */
  @IsOptional() @IsString() @MaxLength(2000) commitMessage?: string;
  @IsOptional() @IsString() @MaxLength(200) commitAuthor?: string;
  @IsOptional() @IsString() @MaxLength(1000) pullRequestUrl?: string;
  /** Canonical merge-request action (opened, synchronized, reopened) for `merge_request`. */
  @IsOptional() @IsString() mrAction?: string;
  /** A merge request from a fork: the scheduler withholds secrets and deploys unless the project opts in. */
  @IsOptional() @IsBoolean() fromFork?: boolean;
  @IsOptional() @IsUUID() deliveryId?: string;
  @IsOptional() @IsUUID() retryOfId?: string;
  @IsOptional() @IsBoolean() failedOnly?: boolean;
  /** With `retryOfId`: the step to run again with its dependants; every other succeeded step is reused. */
  @IsOptional() @IsString() @MaxLength(200) rerunStep?: string;
  /** A manual run's variables, added to every step's environment over the definition's own. */
  @IsOptional()
  @ValidateBy({
    name: 'runVariables',
    validator: {
      validate: (value: unknown) => runVariablesProblems(value).length === 0,
      defaultMessage: (args) => runVariablesProblems(args?.value).join('; '),
    },
  })
  variables?: Record<string, string>;
  /** Whether the scheduler must check the definition's `on:` filters (webhook runs). */
  @IsBoolean() applyTriggerFilters!: boolean;
  @IsISO8601() requestedAt!: string;
}
