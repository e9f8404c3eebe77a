import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { Backend, OutputLine, RunSpec, StepExit, StepHandle, StepSpec, StepStartError } from '../backend';
import { sandboxName, stepEnvironmentProblems } from '../local/bwrap-command';
import { withServiceLines } from '../service-lines';
import { DockerBackendOptions } from './docker.options';
import { engineMessage, ignoreGone } from './engine';
import { ensureHelperImage } from './helper-image';
import { ImageBuild, startImageBuild } from './image-build';
import { ImagePuller } from './image-puller';
import { LABEL } from './names';
import { RunWorkspace } from './run-workspace';
import { StepContainer, stepContainerBody } from './step-container';
import { StepServices } from './step-services';

/**
 * Runs each step as a container of its own image on a Docker Engine (Woodpecker's docker backend,
 * GitLab Runner's docker executor): the run's checkout in a volume at /workspace, the run's network
 * namespace held by a helper container that every step joins (egress `none` by default: a private
 * loopback), all capabilities dropped but a small set, `no-new-privileges`, a PID limit and the
 * step's CPU and memory as limits.
 */
export class DockerBackend implements Backend {
  readonly kind = 'docker';
  private readonly workspace: RunWorkspace;
  private readonly images: ImagePuller;
  private readonly steps = new Map<StepHandle, StepContainer | ImageBuild>();
  private readonly services = new Map<StepHandle, StepServices>();
  /** Steps between create and the map above: the sweep must not take their containers for orphans. */
  private readonly starting = new Map<string, number>();

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerBackendOptions,
  ) {
    this.workspace = new RunWorkspace(docker, options);
    this.images = new ImagePuller(docker, options.pullPolicy, options.pullTimeoutMs);
  }

  async verify(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw new Error(`the docker backend cannot reach a Docker Engine: ${engineMessage(error)}`, {
        cause: error,
      });
    }
    if (this.options.egress !== 'none' && this.options.egress !== 'host') {
      await this.docker
        .getNetwork(this.options.egress)
        .inspect()
        .catch((error: unknown) => {
          throw new Error(
            `KILN_DOCKER_EGRESS names network "${this.options.egress}": ${engineMessage(error)}`,
          );
        });
    }
    await ensureHelperImage(this.docker, this.options.helperImage, this.images);
  }

  async setupRun(run: RunSpec): Promise<void> {
    await this.workspace.prepare(run);
  }

  async startStep(step: StepSpec): Promise<StepHandle> {
    const problems = stepEnvironmentProblems(step);
    if (problems.length > 0) throw new StepStartError(problems.join('; '));
    this.starting.set(step.runId, (this.starting.get(step.runId) ?? 0) + 1);
    try {
      const holderId = await this.workspace.prepare(step);
      if (step.build) {
        const { handle, build } = startImageBuild(this.docker, step, step.build, holderId);
        this.steps.set(handle, build);
        return handle;
      }
      const imageDigest = await this.images.ensure(step.image, step.registryCredentials);
      const name = `${sandboxName(step.runId, step.stepName, step.attempt)}-${randomBytes(2).toString('hex')}`;
      const body = stepContainerBody(step, name, holderId, this.options);
      const services = await StepServices.start(this.docker, step, name, holderId, this.images, this.options);
      const container = await StepContainer.start(
        this.docker,
        body,
        step.resources?.memory ?? this.options.defaultMemory,
      ).catch(async (error: unknown) => {
        await services.remove();
        throw error;
      });
      const handle: StepHandle = {
        runId: step.runId,
        stepId: step.stepId,
        attempt: step.attempt,
        sandboxName: name,
        imageDigest,
      };
      this.steps.set(handle, container);
      this.services.set(handle, services);
      return handle;
    } finally {
      const left = (this.starting.get(step.runId) ?? 1) - 1;
      if (left > 0) this.starting.set(step.runId, left);
      else this.starting.delete(step.runId);
    }
  }

  tailLogs(handle: StepHandle): AsyncIterable<OutputLine> {
    const container = this.steps.get(handle);
    if (!container) throw new Error(`no container ${handle.sandboxName} on this executor`);
    const services = this.services.get(handle)?.outputs ?? [];
    return services.length > 0 ? withServiceLines(container.lines, services) : container.lines;
  }

  async wait(handle: StepHandle): Promise<StepExit> {
    const container = this.steps.get(handle);
    if (!container) return { exitCode: null, error: 'the step is not running on this executor' };
    const exit = await container.exit;
    this.steps.delete(handle);
    await this.services.get(handle)?.remove();
    this.services.delete(handle);
    return exit;
  }

  async kill(handle: StepHandle): Promise<void> {
    await this.steps.get(handle)?.kill();
  }

  async destroyRun(runId: string): Promise<void> {
    const left = [...this.steps].filter(([handle]) => handle.runId === runId).map(([, step]) => step);
    await Promise.all(left.map((step) => step.kill()));
    await Promise.all(left.map((step) => step.exit));
    await this.removeContainers(runId);
    await this.workspace.destroy(runId);
  }

  workspaceDir(runId: string, paths?: string[]): Promise<string | null> {
    return this.workspace.collect(runId, paths ?? ['.']);
  }

  readWorkspace(runId: string, paths: string[]): Promise<Readable> {
    return this.workspace.pack(runId, paths);
  }

  writeWorkspace(runId: string, archive: Readable): Promise<void> {
    return this.workspace.unpack(runId, archive);
  }

  /**
   * Step containers whose executor is gone (this one before a restart, or a dead process on this
   * host) go at once; a run's holder and volume go once nothing of the run runs any more and
   * nothing of it was created since `before` (another executor may be between two steps).
   */
  async reapOrphans(before: Date, activeRunIds: ReadonlySet<string>): Promise<string[]> {
    const filters = { label: [`${LABEL.managed}=true`] };
    const containers = await this.docker.listContainers({ all: true, filters });
    const busy = new Set([
      ...activeRunIds,
      ...this.starting.keys(),
      ...[...this.steps.keys()].map((h) => h.runId),
    ]);
    const removed: string[] = [];
    const lastTouched = new Map<string, number>();
    const live = new Set<string>();
    for (const info of containers) {
      const runId = info.Labels[LABEL.run];
      if (!runId) continue;
      lastTouched.set(runId, Math.max(lastTouched.get(runId) ?? 0, info.Created * 1000));
      if (busy.has(runId)) continue;
      const isStep = info.Labels[LABEL.role] !== 'holder';
      if (isStep && (this.executorGone(info.Labels) || info.Created * 1000 < before.getTime())) {
        await ignoreGone(() => this.docker.getContainer(info.Id).remove({ force: true }), [409]);
        removed.push(info.Names[0]?.replace(/^\//, '') ?? info.Id);
      } else if (isStep && info.State === 'running') live.add(runId);
    }
    const { Volumes } = await this.docker.listVolumes({ filters });
    for (const volume of Volumes ?? []) {
      const runId = volume.Labels?.[LABEL.run];
      const created = Date.parse((volume as { CreatedAt?: string }).CreatedAt ?? '') || 0;
      if (runId) lastTouched.set(runId, Math.max(lastTouched.get(runId) ?? 0, created));
    }
    for (const [runId, touched] of lastTouched) {
      if (busy.has(runId) || live.has(runId) || touched >= before.getTime()) continue;
      await this.removeContainers(runId);
      await this.workspace.destroy(runId);
      removed.push(runId);
    }
    return removed;
  }

  private executorGone(labels: Record<string, string>): boolean {
    if (labels[LABEL.executor] === this.options.executorId) return true;
    if (labels[LABEL.executorHost] !== hostname()) return false;
    const pid = Number(labels[LABEL.executorPid]);
    if (pid === process.pid) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  private async removeContainers(runId: string): Promise<void> {
    const steps = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.role}=step`] },
    });
    await Promise.all(
      steps.map((info) => ignoreGone(() => this.docker.getContainer(info.Id).remove({ force: true }), [409])),
    );
  }
}
