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

export const TOLERATION_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** A Kubernetes toleration of a named taint (`Equal` matches `value`, `Exists` any value). */
export interface StepToleration {
  key: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  /** Unset: every effect. */
  effect?: (typeof TOLERATION_EFFECTS)[number];
}

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
  /** The executor kills the step once it has printed nothing for this long; unset: no such limit. */
  noOutputTimeoutMs?: number;
  resources?: StepResources;
  /** `uid[:gid]` the step runs as; unset: the backend's default. */
  user?: string;
  /** Node labels the step's pod must run on (kubernetes backend, within the operator's allow-list). */
  nodeSelector?: Record<string, string>;
  /** Taints the step's pod tolerates (kubernetes backend, within the operator's allow-list). */
  tolerations?: StepToleration[];
  /** Set on a build step, which has neither `image` nor `commands`. */
  build?: StepBuild;
  /** Only on a build step: its pushed image (with digest) is handed to the deployer after a successful run. */
  deploy: boolean;
  /** Waits for a person with write access instead of running; such a step has no image, commands or build. */
  approval?: boolean;
  /** Runs only when this holds; unset: after its dependencies succeeded, on every branch and event. */
  when?: StepCondition;
  /** Attempts after a failed one (`retry: 2` means at most three); unset: none. */
  retry?: number;
  /** Restored into the workspace before the step, saved after it succeeded. */
  cache?: StepCache[];
  /** Containers started before the step in its network namespace (reachable on localhost). */
  services?: StepService[];
  /** Set on a step expanded from `matrix`: its combination, in the definition's key order. */
  matrix?: Record<string, string>;
}

/** `success`: every dependency succeeded (the default); `failure`: a step of the run failed; `always`. */
export type StepConditionStatus = 'success' | 'failure' | 'always';

export const RUN_EVENTS = ['push', 'pull_request', 'tag', 'schedule', 'manual', 'api'] as const;
export type RunEventName = (typeof RUN_EVENTS)[number];

/** `when:`; each list is a set of globs (or names), and a condition without a list always holds. */
export interface StepCondition {
  branch?: string[];
  tag?: string[];
  event?: RunEventName[];
  status: StepConditionStatus[];
}

export interface StepCache {
  /** As written: `{{ checksum "file" }}`, `{{ branch }}`, `{{ arch }}`, `{{ epoch }}` are rendered by the executor. */
  key: string;
  /** Tried in order when `key` has no entry: the newest entry whose key starts with the rendered prefix. */
  restoreKeys: string[];
  /** Relative to the workspace and inside it, normalised like artifact paths. */
  paths: string[];
}

export interface StepService {
  name: string;
  image: string;
  environment: Record<string, string>;
  /** Shell commands run instead of the image's own command; unset: the image's command. */
  commands?: string[];
  /** The step starts once this TCP port accepts connections on localhost, or fails after the timeout. */
  waitFor?: { port: number; timeoutMs: number };
}

export interface ArtifactDefinition {
  name: string;
  /** Relative to the workspace root, normalised (no `./`, no `..`). A trailing `/` marks a directory. */
  path: string;
  expiresMs?: number;
  /** `junit`: the files are JUnit XML reports, summed into the run's test summary. */
  report?: ArtifactReport;
}

export const ARTIFACT_REPORTS = ['junit'] as const;
export type ArtifactReport = (typeof ARTIFACT_REPORTS)[number];

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
  /**
   * CircleCI files only: the operator's `resource_class` table (class → CPU and memory), merged
   * over the built-in one (KILN_CIRCLECI_RESOURCE_CLASSES).
   */
  resourceClasses?: Record<string, StepResources>;
}
