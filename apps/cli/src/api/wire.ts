// Shapes of the gateway's JSON (SPEC.md §6 "Wire contract"): snake_case, lists as {items, next_cursor}.
import { isTerminalRun, RunStatus, StepStatus } from '@kiln/engine';

export type { RunStatus, StepStatus };

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Me {
  id: string;
  name: string;
  email?: string;
  is_admin?: boolean;
}

export interface Project {
  id: string;
  name: string;
  repo_url: string;
  repo_full_name?: string | null;
  provider: string;
  default_branch?: string;
  created_at?: string;
  last_activity_at?: string | null;
  /** The generated webhook secret: only in the answer of POST /api/projects. */
  webhook_secret?: string;
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
  role: string;
  created_at: string;
}

export interface User {
  id: string;
  name: string;
  email: string;
  is_admin: boolean;
  disabled?: boolean;
  created_at: string;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
  /** The token itself: only in the answer of POST /api/tokens. */
  token?: string;
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
  /** The generated signing secret: only in the answer of POST when none was given. */
  secret?: string;
}

export interface RegistryCredential {
  server: string;
  username: string;
  created_at: string;
  updated_at: string;
}

export interface Pipeline {
  id: string;
  project_id?: string;
  name: string;
  description?: string | null;
  yaml_config?: string | null;
  config_path?: string;
  created_at?: string;
  updated_at?: string;
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
  error?: string | null;
  image?: string;
  /** The image that ran, pinned (`name@sha256:…` or an image id); for a build step, the image it pushed. */
  image_digest?: string | null;
  attempt?: number;
  /** Set when a failed-only retry reused this step's result from an earlier run. */
  reused_from?: string | null;
}

export interface Run {
  id: string;
  number: number;
  project_id?: string;
  project_name?: string;
  pipeline_id: string;
  pipeline_name?: string;
  status: RunStatus;
  trigger: string;
  triggered_by: string;
  git_ref: string;
  branch: string | null;
  commit_sha: string | null;
  commit_message?: string | null;
  commit_author?: string | null;
  pull_request_url?: string | null;
  error: string | null;
  retry_of?: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  steps?: Step[];
  /** GET of one run: its JUnit reports' counts; null without any. */
  test_summary?: TestSummary | null;
}

export interface TestSummary {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export interface Artifact {
  id: string;
  run_id?: string;
  name: string;
  path: string;
  content_type?: string;
  size_bytes: number | string;
  sha256?: string;
  expires_at?: string | null;
  created_at?: string;
}

export interface Runner {
  id: string;
  backend: string;
  hostname?: string;
  capacity: number;
  running: number;
  running_steps?: string[];
  version?: string;
  started_at?: string;
  last_heartbeat_at?: string;
  status?: string;
  online?: boolean;
}

export function isTerminal(status: RunStatus): boolean {
  return isTerminalRun(status);
}
