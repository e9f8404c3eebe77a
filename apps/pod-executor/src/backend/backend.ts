import type { Readable } from 'node:stream';

/**
 * How an executor runs steps (Woodpecker's `pipeline/backend/types/backend.go`). Lifecycle of a run:
 *
 *   setupRun(run)            once per run and executor, before its first step: the workspace holds the
 *                            repository at the run's commit. Concurrent calls for one run clone once.
 *   startStep(step)          starts the step's container/sandbox and returns its handle as soon as it is
 *                            spawned; output produced from then on is buffered for tailLogs.
 *   tailLogs(handle)         every output line in order, each with its stream and the time it was read
 *                            (lines read together may come as one OutputLine); ends when the step's
 *                            output is closed. One reader per handle.
 *   wait(handle)             resolves when the step has ended: its exit code, the signal that ended it,
 *                            or an error saying why it could not run. Never rejects.
 *   kill(handle, reason)     ends the step now (timeout, cancel, shutdown); wait() then resolves.
 *   destroyRun(runId)        kills what is left of the run and removes its workspace. Safe to call twice,
 *                            for an unknown run, or after a failed setup/start.
 *
 * Every backend reports the same events, logs and exit codes, so callers never ask which one runs.
 */
export interface Backend {
  readonly kind: 'local' | 'docker' | 'kubernetes';
  /** Fails when the backend cannot run anything here (missing binary, no cluster access). */
  verify(): Promise<void>;
  setupRun(run: RunSpec): Promise<void>;
  startStep(step: StepSpec): Promise<StepHandle>;
  tailLogs(handle: StepHandle): AsyncIterable<OutputLine>;
  wait(handle: StepHandle): Promise<StepExit>;
  kill(handle: StepHandle, reason: string): Promise<void>;
  destroyRun(runId: string): Promise<void>;
  /**
   * A directory on this host holding the run's workspace after its steps ended (artifacts are
   * collected from it), or null when this executor has none. `paths` (relative to the workspace)
   * say what is needed: a backend that must copy the workspace out copies only those.
   */
  workspaceDir(runId: string, paths?: string[]): Promise<string | null>;
  /**
   * Step caches, between steps of a run whose workspace is set up (optional: without them a step's
   * `cache` is neither restored nor saved, and its log says so). `readWorkspace` packs the `paths`
   * (relative, inside the workspace) that exist into a tar stream, entries relative to the
   * workspace; `writeWorkspace` unpacks such a tar into it.
   */
  readWorkspace?(runId: string, paths: string[]): Promise<Readable>;
  writeWorkspace?(runId: string, archive: Readable): Promise<void>;
  /**
   * Removes workspaces and sandboxes of runs untouched since `before` that are neither in
   * `activeRunIds` nor running a step on this executor. Returns the run ids (or names) removed.
   */
  reapOrphans(before: Date, activeRunIds: ReadonlySet<string>): Promise<string[]>;
}

export const BACKEND = Symbol('BACKEND');

export interface RunSpec {
  runId: string;
  repoUrl: string;
  /** Commit to check out; when empty, `gitRef` is fetched instead. */
  commitSha: string;
  gitRef: string;
}

export interface StepSpec extends RunSpec {
  stepId: string;
  stepName: string;
  attempt: number;
  /** The step's image; the local backend runs commands on the host's /usr instead (and says so). */
  image: string;
  commands: string[];
  env: Record<string, string>;
  /** The caller kills the step after this long; a backend may also enforce it (pod deadline). */
  timeoutMs: number;
  projectId?: string;
  /** Requests/limits (Kubernetes quantities); the local backend does not enforce them. */
  resources?: { cpu?: string; memory?: string };
  /** `uid[:gid]` the step runs as; unset: the backend's default (the image's USER on docker). */
  user?: string;
  /**
   * The step's `node_selector` and `tolerations`: the kubernetes backend applies those its
   * operator allows (and refuses the step otherwise); the others have one host and ignore them.
   */
  nodeSelector?: Record<string, string>;
  tolerations?: { key: string; operator: 'Equal' | 'Exists'; value?: string; effect?: string }[];
  /** Registry credentials of the project, for pulling private images. */
  registryCredentials?: { server: string; username: string; password: string }[];
  /**
   * Set on a build step (its image and commands are empty): the backend builds `context` of the
   * run's workspace with `dockerfile`, pushes the image as `imageRef` and ends with `pushedImage`.
   */
  build?: { context: string; dockerfile: string; imageRef: string };
  /**
   * Containers of their images started before the step where it reaches them on localhost, with
   * their environment (and commands instead of the image's command), removed when it ends. With
   * `waitFor`, the step starts once the port accepts connections, or fails after the timeout.
   */
  services?: {
    name: string;
    image: string;
    environment: Record<string, string>;
    /** Variables whose values came from project secrets (sealed in the dispatch), beside `environment`. */
    secretEnvironment?: Record<string, string>;
    commands?: string[];
    waitFor?: { port: number; timeoutMs: number };
  }[];
}

export interface StepHandle {
  readonly runId: string;
  readonly stepId: string;
  readonly attempt: number;
  /** Pod or sandbox name, reported in `kiln.step.started`. */
  readonly sandboxName: string;
  /** The digest of the image that runs (`name@sha256:…` or an image id), where the backend knows it. */
  readonly imageDigest?: string;
}

/** One line, or several of one stream read at once (a chatty step's output comes in batches). */
export interface OutputLine {
  /** `system`: a line from the backend itself (what it did for the step), not the step's output. */
  stream: 'stdout' | 'stderr' | 'system';
  /** The line, or the lines joined by `\n` (none ends with it). */
  text: string;
  /** Milliseconds since the epoch when the line was read. */
  ts: number;
}

export interface StepExit {
  /** Null when the step never ran or was ended by a signal without an exit status. */
  exitCode: number | null;
  signal?: string;
  error?: string;
  /** What a build step pushed, with the registry's digest: `<imageRef>@sha256:…`. */
  pushedImage?: string;
}

/** A step that could not be started; the message says why in words a pipeline author understands. */
export class StepStartError extends Error {
  override readonly name = 'StepStartError';
}

/** The workspace could not be prepared (repository unreachable, commit missing). */
export class WorkspaceSetupError extends Error {
  override readonly name = 'WorkspaceSetupError';
}
