import type Docker from 'dockerode';
import { StepSpec, StepStartError } from '../backend';
import { ServiceOutput } from '../service-lines';
import { listeningScript, notListening } from '../service-readiness';
import { DockerBackendOptions } from './docker.options';
import { engineMessage, ignoreGone } from './engine';
import { ImagePuller } from './image-puller';
import { labels } from './names';
import { attachedLines } from './step-container';

type Service = NonNullable<StepSpec['services']>[number];

/**
 * A step's service containers: each a container of its image in the run's network namespace (so
 * the step reaches it on localhost and by the service's name), its output kept for the step's
 * log, with no workspace, no capabilities beyond the step's and the default memory limit;
 * labelled like steps so a destroyed run or the orphan sweep removes them.
 */
export class StepServices {
  /** Each service's output from its start, for the step's log. */
  readonly outputs: ServiceOutput[] = [];

  private constructor(
    private readonly docker: Docker,
    private readonly ids: string[],
  ) {}

  static async start(
    docker: Docker,
    step: StepSpec,
    containerName: string,
    holderId: string,
    images: ImagePuller,
    options: DockerBackendOptions,
  ): Promise<StepServices> {
    const services = new StepServices(docker, []);
    try {
      if (step.services?.length) await addHostNames(docker, holderId, step.services);
      for (const service of step.services ?? []) {
        await images.ensure(service.image, step.registryCredentials).catch((error: unknown) => {
          throw new StepStartError(`service "${service.name}": ${(error as Error).message}`);
        });
        const body = serviceBody(step, service, `${containerName}-${service.name}`, holderId, options);
        const container = await docker.createContainer(body);
        services.ids.push(container.id);
        const output = await container.attach({ stream: true, stdout: true, stderr: true });
        services.outputs.push({ name: service.name, lines: attachedLines(output, 'drop').lines });
        await container.start();
        if (service.waitFor) await waitForPort(docker, holderId, container, service.name, service.waitFor);
      }
      return services;
    } catch (error) {
      await services.remove();
      if (error instanceof StepStartError) throw error;
      throw new StepStartError(`a service of the step did not start: ${engineMessage(error)}`);
    }
  }

  async remove(): Promise<void> {
    await Promise.all(
      this.ids.map((id) => ignoreGone(() => this.docker.getContainer(id).remove({ force: true }), [409])),
    );
  }
}

/**
 * Waits until something listens on `port` in the run's network namespace, checked from the
 * holder (which is in it); the deadline is inside the script, so no check outlives its step.
 */
async function waitForPort(
  docker: Docker,
  holderId: string,
  service: Docker.Container,
  name: string,
  waitFor: { port: number; timeoutMs: number },
): Promise<void> {
  const script = listeningScript(waitFor.port, waitFor.timeoutMs);
  if ((await execInHolder(docker, holderId, ['sh', '-c', script])) === 0) return;
  const state = (await service.inspect()).State;
  const why = state.Running ? '' : ` (the service exited with code ${state.ExitCode})`;
  throw new StepStartError(`${notListening(name, waitFor.port, waitFor.timeoutMs)}${why}`);
}

/**
 * Makes each service reachable by its name: the engine refuses `ExtraHosts` on a container that
 * joins another's network namespace, and such a container shares the holder's /etc/hosts, so the
 * names go there (once each; a later step of the run resolving them to 127.0.0.1 is harmless).
 * The names are arguments, not part of the script.
 */
async function addHostNames(docker: Docker, holderId: string, services: Service[]): Promise<void> {
  const script = 'for n; do grep -q " $n$" /etc/hosts || echo "127.0.0.1 $n" >> /etc/hosts || exit 1; done';
  const names = services.map((service) => service.name);
  const exitCode = await execInHolder(docker, holderId, ['sh', '-c', script, 'sh', ...names]);
  if (exitCode !== 0) throw new StepStartError(`cannot add host entries for the services ${names.join(', ')}`);
}

/** Runs `cmd` in the run's holder to its end; its exit code. */
async function execInHolder(docker: Docker, holderId: string, cmd: string[]): Promise<number | undefined> {
  const exec = await docker.getContainer(holderId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const output = await exec.start({});
  output.resume();
  await new Promise((resolve) => output.once('end', resolve).once('close', resolve));
  const { ExitCode } = await exec.inspect();
  return ExitCode ?? undefined;
}

function serviceBody(
  step: StepSpec,
  service: Service,
  name: string,
  holderId: string,
  options: DockerBackendOptions,
): Docker.ContainerCreateOptions {
  return {
    name,
    Image: service.image,
    ...(service.commands ? { Entrypoint: ['/bin/sh', '-c'], Cmd: [service.commands.join('\n')] } : {}),
    Env: Object.entries({ ...service.environment, ...service.secretEnvironment }).map(
      ([key, value]) => `${key}=${value}`,
    ),
    Labels: labels(step.runId, 'step', options.executorId),
    HostConfig: {
      NetworkMode: `container:${holderId}`,
      CapDrop: ['ALL'],
      CapAdd: options.capAdd,
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: options.pidsLimit,
    },
  };
}
