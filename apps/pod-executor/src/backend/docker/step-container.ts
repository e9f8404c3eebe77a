import { parseQuantity } from '@kiln/definition';
import type Docker from 'dockerode';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { StepExit, StepSpec, StepStartError } from '../backend';
import { BASE_ENV, stepScript } from '../local/bwrap-command';
import { OutputLines } from '../local/output-lines';
import { DockerBackendOptions } from './docker.options';
import { engineMessage, ignoreGone, removeContainer } from './engine';
import { labels, volumeName } from './names';

/** How often a step whose output ended is asked for its state while the engine's wait has not answered. */
const EXIT_POLL_MS = 1000;

/** The container create body for one step: its image, the run's volume and namespace, no privileges. */
export function stepContainerBody(
  step: StepSpec,
  name: string,
  holderId: string,
  options: DockerBackendOptions,
): Docker.ContainerCreateOptions {
  const cpu = step.resources?.cpu ?? options.defaultCpu;
  const memory = step.resources?.memory ?? options.defaultMemory;
  const memoryBytes = memory ? Math.floor(parseQuantity(memory) ?? 0) : 0;
  const user = step.user ?? options.defaultUser;
  return {
    name,
    Image: step.image,
    Entrypoint: ['/bin/sh', '-e', '-c'],
    Cmd: [stepScript(step.commands)],
    Env: Object.entries({ ...BASE_ENV, ...step.env }).map(([key, value]) => `${key}=${value}`),
    WorkingDir: '/workspace',
    ...(user ? { User: user } : {}),
    Labels: labels(step.runId, 'step', options.executorId),
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      NetworkMode: `container:${holderId}`,
      Mounts: [{ Type: 'volume', Source: volumeName(step.runId), Target: '/workspace' }],
      CapDrop: ['ALL'],
      CapAdd: options.capAdd,
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: options.pidsLimit,
      ...(memoryBytes > 0 ? { Memory: memoryBytes, MemorySwap: memoryBytes } : {}),
      ...(cpu ? { NanoCpus: Math.round((parseQuantity(cpu) ?? 0) * 1e9) } : {}),
    },
  };
}

/**
 * One step's container from creation to removal. Output is attached before the container starts,
 * so no line is lost; `exit` resolves once the container has stopped and its output is read.
 */
export class StepContainer {
  readonly lines: OutputLines;
  private exited?: Promise<StepExit>;
  private readonly outputEnded: Promise<void>;
  private killed = false;

  private constructor(
    private readonly container: Docker.Container,
    output: NodeJS.ReadableStream,
  ) {
    ({ lines: this.lines, ended: this.outputEnded } = attachedLines(output));
  }

  static async start(
    docker: Docker,
    body: Docker.ContainerCreateOptions,
    memoryLimit?: string,
  ): Promise<StepContainer> {
    let container: Docker.Container;
    try {
      container = await docker.createContainer(body);
    } catch (error) {
      throw new StepStartError(`cannot create the step's container: ${engineMessage(error)}`);
    }
    try {
      const output = await container.attach({ stream: true, stdout: true, stderr: true });
      const step = new StepContainer(container, output);
      await container.start();
      // Waited for once started: a wait on a container that has not started answers at once.
      step.exited = step.waitForExit(memoryLimit);
      return step;
    } catch (error) {
      await ignoreGone(() => container.remove({ force: true }));
      throw new StepStartError(startProblem(body.Image ?? '', engineMessage(error)));
    }
  }

  get exit(): Promise<StepExit> {
    return this.exited ?? Promise.resolve({ exitCode: null, error: 'the container never started' });
  }

  async kill(): Promise<void> {
    this.killed = true;
    // 409: not running any more (it ended on its own meanwhile).
    await ignoreGone(() => this.container.kill(), [409]);
  }

  /**
   * The container's exit code. The engine answers `/wait`'s headers at once and the code when the
   * container ends; an engine that restarts meanwhile cuts that answer, and dockerode then never
   * settles. So once the output has ended (the attach stream ends with the container, or with the
   * engine), the container's state is asked every second as well; an engine that does not answer
   * fails the inspect, and with it the step.
   */
  private async exitCode(): Promise<number> {
    const waited = (this.container.wait() as Promise<{ StatusCode: number }>).then((r) => r.StatusCode);
    // Handled here: when the inspection answers first, a later failure of the wait is moot.
    waited.catch(() => undefined);
    await Promise.race([waited, this.outputEnded]);
    for (;;) {
      const code = await Promise.race([waited, delay(EXIT_POLL_MS).then(() => undefined)]);
      if (code !== undefined) return code;
      const { State } = await this.container.inspect();
      if (!State.Running) return State.ExitCode;
    }
  }

  private async waitForExit(memoryLimit: string | undefined): Promise<StepExit> {
    try {
      const StatusCode = await this.exitCode();
      await this.outputEnded;
      const info = await this.container.inspect();
      if (info.State.OOMKilled)
        return {
          exitCode: StatusCode,
          signal: 'SIGKILL',
          error: `killed: out of memory${memoryLimit ? ` (limit ${memoryLimit})` : ''}`,
        };
      if (this.killed && StatusCode === 137) return { exitCode: StatusCode, signal: 'SIGKILL' };
      return { exitCode: StatusCode };
    } catch (error) {
      return { exitCode: null, error: `lost the step's container: ${engineMessage(error)}` };
    } finally {
      await removeContainer(this.container);
    }
  }
}

/**
 * The lines of a container's attached (multiplexed) output, in the engine's frame order;
 * `ended` once the engine closed it.
 */
export function attachedLines(
  output: NodeJS.ReadableStream,
  overflow: 'pause' | 'drop' = 'pause',
): { lines: OutputLines; ended: Promise<void> } {
  const ended = new Promise<void>((resolve) => {
    output.once('end', resolve);
    output.once('close', resolve);
    output.once('error', resolve);
  });
  return { lines: OutputLines.multiplexed(output as Readable, overflow), ended };
}

// The engine's start errors are long OCI messages; the common one gets a sentence of its own.
function startProblem(image: string, message: string): string {
  if (/no such file or directory|executable file not found/.test(message) && message.includes('/bin/sh'))
    return `image "${image}" has no /bin/sh: a step's commands run with /bin/sh`;
  return `cannot start the step's container: ${message}`;
}
