import { registryOf } from '@kiln/definition';
import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { StepExit, StepHandle, StepSpec, StepStartError } from '../backend';
import { sandboxName } from '../local/bwrap-command';
import { OutputLines } from '../local/output-lines';
import { engineMessage, engineStatus } from './engine';
import { imageReferenceProblem, RegistryCredential } from './image-puller';
import { holderName } from './names';
import { untar } from './run-workspace';

export type BuildRequest = NonNullable<StepSpec['build']>;

/** A failure of the build or the push, in words for the step's error. */
class BuildError extends Error {}

interface EngineEvent {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string };
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Why a build request cannot be run, or undefined: paths stay inside the workspace, the ref is an image name. */
export function buildRequestProblem(build: BuildRequest): string | undefined {
  for (const [key, path, root] of [
    ['build.context', build.context, 'workspace'],
    ['build.dockerfile', build.dockerfile, 'context'],
  ] as const) {
    if (!path || path.startsWith('/') || path.split('/').includes('..'))
      return `${key} "${path}" must be a relative path inside the ${root}`;
  }
  return imageReferenceProblem(build.imageRef);
}

/**
 * Starts a build step on the engine: the context copied out of the run's volume, built with the
 * classic builder in the run's network namespace, tagged `imageRef` and pushed. The build and push
 * output are the step's log; the step ends with the pushed image and its registry digest.
 */
export function startImageBuild(
  docker: Docker,
  step: StepSpec,
  request: BuildRequest,
  holderId: string,
): { handle: StepHandle; build: ImageBuild } {
  const problem = buildRequestProblem(request);
  if (problem) throw new StepStartError(problem);
  const handle: StepHandle = {
    runId: step.runId,
    stepId: step.stepId,
    attempt: step.attempt,
    sandboxName: `${sandboxName(step.runId, step.stepName, step.attempt)}-build`,
  };
  const credential = (step.registryCredentials ?? []).find((c) => c.server === registryOf(request.imageRef));
  return { handle, build: new ImageBuild(docker, step.runId, request, holderId, credential) };
}

/** One build step from context copy to push; `exit` never rejects, `kill` aborts whatever runs. */
export class ImageBuild {
  readonly lines: OutputLines;
  readonly exit: Promise<StepExit>;
  private readonly stdout = new PassThrough();
  private readonly stderr = new PassThrough();
  private readonly abort = new AbortController();

  constructor(
    private readonly docker: Docker,
    private readonly runId: string,
    private readonly request: BuildRequest,
    private readonly holderId: string,
    private readonly credential?: RegistryCredential,
  ) {
    this.lines = new OutputLines({ stdout: this.stdout, stderr: this.stderr });
    this.exit = this.run().finally(() => {
      this.stdout.end();
      this.stderr.end();
    });
  }

  async kill(): Promise<void> {
    this.abort.abort();
  }

  private async run(): Promise<StepExit> {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-build-'));
    try {
      const context = await this.copyContext(dir);
      await this.build(context);
      const digest = await this.push();
      return { exitCode: 0, pushedImage: `${this.request.imageRef}@${digest}` };
    } catch (error) {
      if (this.abort.signal.aborted) return { exitCode: null, signal: 'SIGKILL' };
      if (error instanceof BuildError) return { exitCode: null, error: error.message };
      return { exitCode: null, error: `the image build failed: ${engineMessage(error)}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The context directory on this host, copied out of the run's volume through its holder. */
  private async copyContext(dir: string): Promise<string> {
    const { context } = this.request;
    const path = context === '.' ? '/workspace' : `/workspace/${context}`;
    let archive: NodeJS.ReadableStream;
    try {
      archive = await this.docker.getContainer(holderName(this.runId)).getArchive({ path });
    } catch (error) {
      if (engineStatus(error) === 404)
        throw new BuildError(`build.context "${context}" does not exist in the workspace`);
      throw new BuildError(`cannot read the build context: ${engineMessage(error)}`);
    }
    await untar(archive as Readable, dir);
    const root = join(dir, basename(path));
    // A symbolic link is archived as the link: what it points at is not the workspace's.
    if (!(await lstat(root)).isDirectory())
      throw new BuildError(`build.context "${context}" is not a directory in the workspace`);
    return root;
  }

  private async build(context: string): Promise<void> {
    const { imageRef, dockerfile } = this.request;
    this.say(`building ${imageRef} from ${join(this.request.context, dockerfile)}`);
    const tar = spawn('tar', ['-C', context, '-c', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let tarError: Error | undefined;
    tar.once('error', (error) => (tarError = error));
    // The engine only unpipes a context it refused or an aborted build: tar would wait on a full pipe.
    const stopTar = () => tar.kill();
    const stream = await this.docker.buildImage(tar.stdout, {
      t: imageRef,
      dockerfile,
      rm: true,
      // Intermediate containers go even when a step of the Dockerfile fails.
      forcerm: true,
      // RUN instructions get the run's network, like its steps.
      networkmode: `container:${this.holderId}`,
      abortSignal: this.abort.signal,
      ...(this.credential ? { registryconfig: { [this.credential.server]: this.auth() } } : {}),
    }).catch((error: unknown) => {
      stopTar();
      throw error;
    });
    const failure = await this.follow(stream, (event) => {
      if (event.stream) this.write(this.stdout, event.stream);
    }).finally(stopTar);
    if (tarError) throw new BuildError(`cannot pack the build context: ${tarError.message}`);
    if (failure) throw new BuildError(`the image build failed: ${failure}`);
  }

  /** Pushes the built image; answers the digest the registry gave it. */
  private async push(): Promise<string> {
    const { imageRef } = this.request;
    const colon = imageRef.lastIndexOf(':');
    this.say(`pushing ${imageRef}`);
    const stream = await this.docker.getImage(imageRef.slice(0, colon)).push({
      tag: imageRef.slice(colon + 1),
      // The engine wants a registry auth header even for a registry without auth.
      authconfig: this.credential ? this.auth() : {},
      abortSignal: this.abort.signal,
    });
    let digest: string | undefined;
    const failure = await this.follow(stream, (event) => {
      if (event.aux?.Digest) digest = event.aux.Digest;
      else if (event.status && !event.progressDetail?.current)
        this.write(this.stdout, `${event.id ? `${event.id}: ` : ''}${event.status}\n`);
    });
    if (failure) throw new BuildError(`the registry refused the push of ${imageRef}: ${failure}`);
    if (!digest || !DIGEST.test(digest))
      throw new BuildError(`the push of ${imageRef} ended without the registry's digest`);
    this.say(`pushed ${imageRef}@${digest}`);
    return digest;
  }

  /** Reads an engine progress stream to its end; answers the first error it reported, if any. */
  private follow(
    stream: NodeJS.ReadableStream,
    onEvent: (event: EngineEvent) => void,
  ): Promise<string | undefined> {
    let failure: string | undefined;
    return new Promise((resolve, reject) =>
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve(failure)),
        (event: EngineEvent) => {
          const message = event.errorDetail?.message ?? event.error;
          if (message) {
            failure ??= message.trim();
            this.write(this.stderr, `${message}\n`);
          } else onEvent(event);
        },
      ),
    );
  }

  private auth() {
    const { server, username, password } = this.credential as RegistryCredential;
    return { username, password, serveraddress: server };
  }

  private say(text: string): void {
    this.write(this.stdout, `${text}\n`);
  }

  private write(stream: PassThrough, text: string): void {
    if (!stream.writableEnded) stream.write(text);
  }
}
