// The gateway's JSON as the CLI and the web UI read it (SPEC.md §6 "Wire contract"): snake_case,
// lists as {items, next_cursor}. One module for both clients, checked against the gateway's
// OpenAPI document (apps/gateway/test/api-wire.e2e-spec.ts), so neither can drift from the API.
// Types and the API's word lists only: it runs in a browser as well as in Node.
import { isTerminalRun, isTerminalStep, RUN_STATUSES, RunStatus, StepStatus } from '@kiln/engine';

export { RUN_STATUSES };
export * from './ids';
export * from './run-variables';
export type { RunStatus, StepStatus };

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** One bad field of a 400 answer (`details`). */
export interface FieldProblem {
  field: string;
  message: string;
}

export type Role = 'read' | 'write' | 'admin';
export const ROLES: readonly Role[] = ['read', 'write', 'admin'];
export const PROVIDERS = ['github', 'gitlab', 'git'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const TOKEN_SCOPES = ['project:read', 'project:write', 'admin'] as const;
export const WEBHOOK_EVENTS = ['build.success', 'build.failure'] as const;
export const TRIGGERS = ['manual', 'webhook', 'schedule', 'retry'] as const;

export interface Membership {
  project_id: string;
  project_name: string;
  role: Role;
}

export interface User {
  id: string;
  name: string;
  email: string;
  is_admin: boolean;
  /** Disabled users' tokens are revoked and refused. */
  disabled: boolean;
  created_at: string;
}

/** GET /api/me: the calling user and where they are a member. */
export interface Me extends User {
  memberships: Membership[];
}

/** POST /api/users: the user and its first token, shown once. */
export interface CreatedUser extends User {
  token: string;
  token_id: string;
}

export interface Project {
  id: string;
  name: string;
  repo_url: string;
  repo_full_name: string | null;
  provider: string;
  default_branch: string;
  concurrency_limit: number | null;
  secrets_for_forks: boolean;
  /** The status badge answers without a token. */
  public_badge: boolean;
  /** The caller's role in the project. */
  role: Role;
  created_at: string;
  last_activity_at: string | null;
}

/** POST /api/projects: the generated webhook secret comes only in this answer. */
export interface CreatedProject extends Project {
  webhook_secret?: string;
}

export interface ProjectInput {
  name: string;
  repo_url: string;
  provider: Provider;
  repo_full_name?: string;
  default_branch?: string;
  webhook_secret?: string;
}

export interface Pipeline {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  source: 'inline' | 'repository';
  yaml_config: string | null;
  config_path: string;
  cancel_previous: boolean;
  schedule_cron: string | null;
  created_at: string;
  updated_at: string;
}

export interface PipelineInput {
  name: string;
  description?: string | null;
  yaml_config?: string | null;
  config_path?: string;
}

/** A problem of a definition, where it is (POST /api/pipelines/validate). */
export interface DefinitionProblem {
  path: string;
  line: number;
  column: number;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  errors: DefinitionProblem[];
  warnings: DefinitionProblem[];
  steps?: { name: string; depends_on: string[] }[];
}

export interface Secret {
  name: string;
  created_at: string;
  updated_at: string;
}

export interface Member {
  user_id: string;
  name: string;
  email: string;
  role: Role;
  created_at: string;
}

export interface Token {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

/** POST /api/tokens: the token itself comes only in this answer. */
export interface CreatedToken extends Token {
  token: string;
}

export interface OutboundWebhook {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  last_status_code: number | null;
  last_error: string | null;
  last_sent_at: string | null;
  created_at: string;
  /** The generated signing secret, only in the answer that created the webhook without one. */
  secret?: string;
}

export interface RegistryCredential {
  server: string;
  username: string;
  created_at: string;
  updated_at: string;
}

export interface Step {
  id: string;
  name: string;
  status: StepStatus;
  exit_code: number | null;
  depends_on: string[];
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  log_ref: string | null;
  /** Empty for a build step. */
  image: string;
  /** The image that ran, pinned (`name@sha256:…` or an image id); for a build step, the image it pushed. */
  image_digest: string | null;
  attempt: number;
  error: string | null;
  /** Set when a failed-only retry reused this step's result from an earlier run. */
  reused_from: string | null;
}

export interface Run {
  id: string;
  number: number;
  project_id: string;
  pipeline_id: string;
  status: RunStatus;
  trigger: string;
  triggered_by: string;
  git_ref: string;
  branch: string | null;
  tag: string | null;
  commit_sha: string | null;
  commit_message: string | null;
  commit_author: string | null;
  pull_request_url: string | null;
  error: string | null;
  retry_of: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  steps: Step[];
  /** GET of one run only: who approved or rejected its approval steps. */
  approvals?: ApprovalDecision[];
  /** GET of one run only: its JUnit reports' counts; null without any. */
  test_summary?: TestSummary | null;
}

export interface ApprovalDecision {
  step_id: string;
  approved: boolean;
  by: string;
  comment: string | null;
  at: string;
}

export interface TestSummary {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export interface Artifact {
  id: string;
  run_id: string;
  name: string;
  path: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  expires_at: string | null;
  created_at: string;
  download_path: string;
}

export interface Runner {
  id: string;
  backend: string;
  hostname: string;
  version: string;
  capacity: number;
  running: number;
  online: boolean;
  started_at: string;
  last_heartbeat_at: string;
  /** Platform admins only: the steps it runs now. */
  running_steps?: string[];
}

/** GET /api/platform: what the UI tells users to configure elsewhere. */
export interface PlatformInfo {
  /** The webhook receiver's base URL as providers reach it. */
  webhook_url: string;
}

export function isTerminal(status: RunStatus): boolean {
  return isTerminalRun(status);
}

export function isStepFinished(status: StepStatus): boolean {
  return isTerminalStep(status);
}
