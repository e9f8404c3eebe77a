import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Backend, OutputLine, RunSpec, StepExit, StepHandle, StepSpec, StepStartError } from '../backend';
import { bwrapArgs, environmentProblems, sandboxName } from './bwrap-command';
import { SandboxProcess } from './sandbox-process';
import { Workspaces } from './workspaces';

export interface LocalBackendOptions {
  dataDir: string;
  bwrapPath: string;
  /** Give sandboxes the host network (package installs need it). */
  network: boolean;
}

/**
 * Runs each step as `/bin/sh -e -c <script>` in a bubblewrap sandbox on this host, with the run's
 * workspace bound at /workspace. The step's image is not pulled: the host's /usr is the toolchain.
 * Each step has its own PID namespace, so killing it ends everything the step started.
 */
export class LocalBackend implements Backend {
  readonly kind = 'local';
  readonly workspaces: Workspaces;
  private readonly sandboxes = new Map<StepHandle, SandboxProcess>();

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
    if (!(await this.workspaces.exists(step.runId)))
      throw new StepStartError('the run has no workspace on this executor');
    const handle: StepHandle = {
      runId: step.runId,
      stepId: step.stepId,
      attempt: step.attempt,
      sandboxName: sandboxName(step.runId, step.stepName, step.attempt),
    };
    const args = bwrapArgs({
      workspaceDir: this.workspaces.dir(step.runId),
      hostname: handle.sandboxName,
      env: step.env,
      commands: step.commands,
      network: this.options.network,
    });
    this.sandboxes.set(handle, await SandboxProcess.spawn(this.options.bwrapPath, args));
    return handle;
  }

  tailLogs(handle: StepHandle): AsyncIterable<OutputLine> {
    return this.sandbox(handle).lines;
  }

  async wait(handle: StepHandle): Promise<StepExit> {
    const sandbox = this.sandboxes.get(handle);
    if (!sandbox) return { exitCode: null, error: 'the step is not running on this executor' };
    const exit = await sandbox.exit;
    this.sandboxes.delete(handle);
    return exit;
  }

  async kill(handle: StepHandle): Promise<void> {
    await this.sandboxes.get(handle)?.kill();
  }

  async destroyRun(runId: string): Promise<void> {
    const left = [...this.sandboxes]
      .filter(([handle]) => handle.runId === runId)
      .map(([, sandbox]) => sandbox);
    await Promise.all(left.map((sandbox) => sandbox.kill()));
    await Promise.all(left.map((sandbox) => sandbox.exit));
    await this.workspaces.remove(runId);
  }

  /** The workspace itself: it is already on this host, so `paths` need no copying. */
  async workspaceDir(runId: string): Promise<string | null> {
    return (await this.workspaces.exists(runId)) ? this.workspaces.dir(runId) : null;
  }

  reapOrphans(before: Date, activeRunIds: ReadonlySet<string>): Promise<string[]> {
    // A long step leaves its workspace's mtime old: the runs with a sandbox here are kept too.
    const running = [...this.sandboxes.keys()].map((handle) => handle.runId);
    return this.workspaces.reap(before, new Set([...activeRunIds, ...running]));
  }

  private sandbox(handle: StepHandle): SandboxProcess {
    const sandbox = this.sandboxes.get(handle);
    if (!sandbox) throw new Error(`no sandbox ${handle.sandboxName} on this executor`);
    return sandbox;
  }
}
