import { constants } from 'node:os';
import { Readable } from 'node:stream';
import { StepExit, StepStartError } from '../backend';
import { STATUS_FD } from './bwrap-command';
import { OutputLines } from './output-lines';
import { SpawnedProcess, spawner } from './spawner';

/**
 * One running bwrap process and the sandbox under it. Killing bwrap alone is not enough: killed
 * while it is still setting up, its child (the PID-namespace init) may not yet be tied to it and
 * would outlive it with the step. So kill() waits for the child's pid, which bwrap reports on
 * STATUS_FD right after creating it, and kills that init too: the kernel then ends every process
 * of the sandbox. bwrap is started by the executor's spawner (spawner.ts).
 */
export class SandboxProcess {
  readonly lines: OutputLines;
  readonly exit: Promise<StepExit>;
  private readonly initPid: Promise<number | undefined>;
  private killed = false;

  private constructor(private readonly child: SpawnedProcess) {
    this.lines = new OutputLines({ stdout: child.output(1), stderr: child.output(2) });
    this.exit = child.closed.then(({ code, signal }) => describeExit(code, signal, this.killed));
    this.initPid = readInitPid(child.output(STATUS_FD), child);
  }

  static async spawn(bwrapPath: string, args: string[]): Promise<SandboxProcess> {
    try {
      return new SandboxProcess(await spawner().spawn({ file: bwrapPath, args, pipes: [1, 2, STATUS_FD] }));
    } catch (error) {
      throw new StepStartError(`cannot start the sandbox: ${(error as Error).message}`);
    }
  }

  async kill(): Promise<void> {
    this.killed = true;
    const initPid = await this.initPid;
    if (initPid && !this.child.hasEnded) {
      try {
        process.kill(initPid, 'SIGKILL');
      } catch {
        // The init has just ended on its own; bwrap follows it.
      }
    }
    this.child.kill('SIGKILL');
  }
}

function readInitPid(status: Readable, child: SpawnedProcess): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    status.on('data', (bytes: Buffer) => {
      text += bytes.toString();
      const match = /"child-pid":\s*(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    // bwrap failed before creating the sandbox: nothing but bwrap to kill.
    void child.exited.then(() => resolve(undefined));
  });
}

const SIGKILL_STATUS = 128 + constants.signals.SIGKILL;

// bwrap exits with the step's status (128 + n when the step's shell died of signal n); a signal
// on bwrap itself means the sandbox was killed from outside (our kill, the OOM killer). Our kill
// ends the sandbox's init first, and bwrap may pass that on as status 137 before its own SIGKILL
// lands: either way the sandbox was killed.
function describeExit(code: number | null, signal: NodeJS.Signals | null, killed: boolean): StepExit {
  if (signal) return { exitCode: 128 + (constants.signals[signal] ?? 0), signal };
  if (killed && code === SIGKILL_STATUS) return { exitCode: code, signal: 'SIGKILL' };
  return { exitCode: code };
}
