import { execFile } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Backend, OutputLine, RunSpec, StepExit, StepHandle, StepSpec, StepStartError } from '../backend';
import { bwrapArgs, environmentProblems, sandboxName } from './bwrap-command';
import { SandboxUser, writeSandboxEtc } from './sandbox-etc';
import { packPaths, unpackInto } from '../workspace-archive';
import { SandboxProcess } from './sandbox-process';
import { Workspaces } from './workspaces';

export interface LocalBackendOptions {
  dataDir: string;
  bwrapPath: string;
  /** Give sandboxes the host network (package installs need it); without it only a loopback. */
  network: boolean;
  /** The uid/gid steps run as inside their user namespace; 1000:1000 by default. */
  user?: SandboxUser;
}

const DEFAULT_USER: SandboxUser = { uid: 1000, gid: 1000 };

interface Sandbox {
  process: SandboxProcess;
  /** Says, before the step's output, that the step's image is not used here. */
  notice: OutputLine;
}

/**
 * Runs each step as `/bin/sh -e -c <script>` in a bubblewrap sandbox on this host, with the run's
 * workspace bound at /workspace, as an unprivileged uid with a minimal /etc and, unless the
 * executor shares the host network, a private loopback only (bwrap-command.ts). The step's image
 * is not pulled: the host's /usr is the toolchain, and the step's log says so first.
 * Each step has its own PID namespace, so killing it ends everything the step started.
 */
export class LocalBackend implements Backend {
  readonly kind = 'local';
  readonly workspaces: Workspaces;
  private readonly sandboxes = new Map<StepHandle, Sandbox>();
  /** The generated /etc per uid:gid (the step user is in its passwd). */
  private readonly etcDirs = new Map<string, Promise<string>>();

  constructor(private readonly options: LocalBackendOptions) {
    this.workspaces = new Workspaces(options.dataDir);
  }

  async verify(): Promise<void> {
    try {
      await promisify(execFile)(this.options.bwrapPath, ['--version'], { timeout: 10_000 });
    } catch (error) {
      throw new Error(
        `the local backend needs bubblewrap at ${this.options.bwrapPath} (KILN_BWRAP_PATH): ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  setupRun(run: RunSpec): Promise<void> {
    return this.workspaces.prepare(run.runId, run);
  }

  async startStep(step: StepSpec): Promise<StepHandle> {
    const problems = environmentProblems(step.env);
    if (problems.length > 0) throw new StepStartError(problems.join('; '));
    if (step.build)
      throw new StepStartError(
        'the local backend runs commands in a sandbox and cannot build images: a build step needs the docker or kubernetes backend',
      );
    if (step.services?.length)
      throw new StepStartError(
        'the local backend runs commands in a sandbox and cannot start service containers: a step with services needs the docker backend',
      );
    if (!(await this.workspaces.exists(step.runId)))
      throw new StepStartError('the run has no workspace on this executor');
    const handle: StepHandle = {
      runId: step.runId,
      stepId: step.stepId,
      attempt: step.attempt,
      sandboxName: sandboxName(step.runId, step.stepName, step.attempt),
    };
    const user = step.user ? stepUser(step.user) : (this.options.user ?? DEFAULT_USER);
    const args = bwrapArgs({
      workspaceDir: this.workspaces.dir(step.runId),
      etcDir: await this.sandboxEtc(user),
      user,
      hostname: handle.sandboxName,
      env: step.env,
      commands: step.commands,
      network: this.options.network,
    });
    const notice = imageNotice(step.image);
    this.sandboxes.set(handle, { process: await SandboxProcess.spawn(this.options.bwrapPath, args), notice });
    return handle;
  }

  async *tailLogs(handle: StepHandle): AsyncIterable<OutputLine> {
    const sandbox = this.sandbox(handle);
    yield sandbox.notice;
    yield* sandbox.process.lines;
  }

  async wait(handle: StepHandle): Promise<StepExit> {
    const sandbox = this.sandboxes.get(handle);
    if (!sandbox) return { exitCode: null, error: 'the step is not running on this executor' };
    const exit = await sandbox.process.exit;
    this.sandboxes.delete(handle);
    return exit;
  }

  async kill(handle: StepHandle): Promise<void> {
    await this.sandboxes.get(handle)?.process.kill();
  }

  async destroyRun(runId: string): Promise<void> {
    const left = [...this.sandboxes]
      .filter(([handle]) => handle.runId === runId)
      .map(([, sandbox]) => sandbox.process);
    await Promise.all(left.map((sandbox) => sandbox.kill()));
    await Promise.all(left.map((sandbox) => sandbox.exit));
    await this.workspaces.remove(runId);
  }

  /** The workspace itself: it is already on this host, so `paths` need no copying. */
  async workspaceDir(runId: string): Promise<string | null> {
    return (await this.workspaces.exists(runId)) ? this.workspaces.dir(runId) : null;
  }

  async readWorkspace(runId: string, paths: string[]): Promise<Readable> {
    return packPaths(await this.existingWorkspace(runId), paths);
  }

  async writeWorkspace(runId: string, archive: Readable): Promise<void> {
    await unpackInto(await this.existingWorkspace(runId), archive);
  }

  reapOrphans(before: Date, activeRunIds: ReadonlySet<string>): Promise<string[]> {
    // A long step leaves its workspace's mtime old: the runs with a sandbox here are kept too.
    const running = [...this.sandboxes.keys()].map((handle) => handle.runId);
    return this.workspaces.reap(before, new Set([...activeRunIds, ...running]));
  }

  // Written once per user and executor; a failed write is retried by the next step.
  private sandboxEtc(user: SandboxUser): Promise<string> {
    const key = `${user.uid}:${user.gid}`;
    let dir = this.etcDirs.get(key);
    if (dir) return dir;
    dir = writeSandboxEtc(this.options.dataDir, user).catch((error: Error) => {
      this.etcDirs.delete(key);
      throw new StepStartError(`cannot write the sandbox's /etc: ${error.message}`);
    });
    this.etcDirs.set(key, dir);
    return dir;
  }

  private async existingWorkspace(runId: string): Promise<string> {
    if (!(await this.workspaces.exists(runId))) throw new Error('the run has no workspace on this executor');
    return this.workspaces.dir(runId);
  }

  private sandbox(handle: StepHandle): Sandbox {
    const sandbox = this.sandboxes.get(handle);
    if (!sandbox) throw new Error(`no sandbox ${handle.sandboxName} on this executor`);
    return sandbox;
  }
}

/** A step's `user:` (uid or uid:gid); root is refused, steps here always run unprivileged. */
function stepUser(text: string): SandboxUser {
  const [uid, gid = uid] = text.split(':').map(Number);
  if (uid === 0)
    throw new StepStartError('the local backend runs steps unprivileged: user 0 (root) is refused');
  return { uid, gid };
}

function imageNotice(image: string): OutputLine {
  return {
    stream: 'system',
    text: `the local backend runs steps in a bubblewrap sandbox on this host's /usr; image ${JSON.stringify(image)} is not used`,
    ts: Date.now(),
  };
}
