import type Docker from 'dockerode';
import { StepSpec, StepStartError } from '../backend';
import { DockerBackendOptions } from './docker.options';
import { engineMessage, ignoreGone } from './engine';
import { ImagePuller } from './image-puller';
import { labels } from './names';

type Service = NonNullable<StepSpec['services']>[number];

/**
 * A step's service containers: each a container of its image in the run's network namespace (so
 * the step reaches it on localhost), with no workspace, no capabilities beyond the step's and the
 * default memory limit; labelled like steps so a destroyed run or the orphan sweep removes them.
 */
export class StepServices {
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
      for (const service of step.services ?? []) {
        await images.ensure(service.image, step.registryCredentials).catch((error: unknown) => {
          throw new StepStartError(`service "${service.name}": ${(error as Error).message}`);
        });
        const body = serviceBody(step, service, `${containerName}-${service.name}`, holderId, options);
        const container = await docker.createContainer(body);
        services.ids.push(container.id);
        await container.start();
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
    Env: Object.entries(service.environment).map(([key, value]) => `${key}=${value}`),
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
