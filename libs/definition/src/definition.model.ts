/** One problem found in a definition file; `line`/`column` are 1-based. */
export interface DefinitionError {
  /** YAML path relative to `pipeline:` (`steps[2].depends_on`); CircleCI files use their own top-level path. */
  path: string;
  line: number;
  column: number;
  /** A full sentence that starts with the path, ready to show to a user. */
  message: string;
}

/** Same shape as an error; a warning never makes a file invalid. */
export type DefinitionWarning = DefinitionError;

export interface StepResources {
  /** Kubernetes CPU quantity, e.g. `500m`, `1`, `2.5`. */
  cpu?: string;
  /** Kubernetes memory quantity, e.g. `512Mi`, `1Gi`. */
  memory?: string;
}

/** An image the backend builds from the workspace and pushes as `$REGISTRY/<project>:<commit sha>`. */
export interface StepBuild {
  /** Directory sent to the builder, relative to the workspace and inside it, normalised (`.` is the root). */
  context: string;
  /** Relative to the context and inside it; default `Dockerfile`. */
  dockerfile: string;
}

export interface StepDefinition {
  name: string;
  /** Empty for a build step. */
  image: string;
  /** Empty for a build step. */
  commands: string[];
  /** Values as written; `${{ secrets.X }}` and `$VAR` are resolved by `resolveStepEnvironment`. */
  environment: Record<string, string>;
  dependsOn: string[];
  timeoutMs?: number;
  resources?: StepResources;
  /** `uid[:gid]` the step runs as; unset: the backend's default. */
  user?: string;
  /** Set on a build step, which has neither `image` nor `commands`. */
  build?: StepBuild;
  /** Only on a build step: its pushed image (with digest) is handed to the deployer after a successful run. */
  deploy: boolean;
}

export interface ArtifactDefinition {
  name: string;
  /** Relative to the workspace root, normalised (no `./`, no `..`). A trailing `/` marks a directory. */
  path: string;
  expiresMs?: number;
}

export interface PushTrigger {
  branches?: string[];
  tags?: string[];
}

/** Canonical merge request actions; provider spellings are normalised onto these. */
export type MergeRequestAction = 'opened' | 'synchronized' | 'reopened' | 'closed' | 'merged';

export interface MergeRequestTrigger {
  actions: MergeRequestAction[];
}

/** `{}` means the file has no `on:` section: every push and merge request runs. */
export interface TriggerDefinition {
  push?: PushTrigger;
  mr?: MergeRequestTrigger;
  /** Five-field cron expression, evaluated in UTC. */
  schedule?: string;
}

export interface PipelineDefinition {
  steps: StepDefinition[];
  artifacts: ArtifactDefinition[];
  on: TriggerDefinition;
  failFast: boolean;
}

export type DefinitionFormat = 'platform' | 'circleci';

export type ParseResult =
  | { ok: true; definition: PipelineDefinition; format: DefinitionFormat; warnings: DefinitionWarning[] }
  | { ok: false; errors: DefinitionError[]; warnings: DefinitionWarning[] };

export interface ParseOptions {
  /** Only used to make YAML syntax messages friendlier; paths never include it. */
  filename?: string;
}
