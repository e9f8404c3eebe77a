import type Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';

/** Label on every container the simulator creates, valued with the simulator's id (for sweeping). */
export const SIMULATOR_LABEL = 'kiln.test/kube-sim';

/** The runtime created the container but could not start its process (no such executable, …). */
export class ContainerStartError extends Error {}

/** A pod's `spec.hostAliases` entry. */
export interface HostAlias {
  ip: string;
  hostnames: string[];
}

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
}

/** A command run in a container (kubectl exec). */
export interface ExecSession {
  stdout: Readable;
  stderr: Readable;
  stdin: Writable;
  /** Resolves with the command's exit code once its output has ended. */
  exit: Promise<number>;
  /** The client went away: stop streaming (the engine cannot signal an exec). */
  abort(): void;
}

/**
 * One pod on the Docker Engine, as a CRI runtime builds it: an infra ("pause") container holds the
 * pod's network and IPC namespaces (`none`, or the host's when the simulator shares it), and every
 * container of the pod joins them, so they reach each other on 127.0.0.1 and nothing else.
 */
export class DockerPod {
  private readonly containers = new Map<string, Docker.Container>();
  private infra?: Docker.Container;
  private removed = false;

  constructor(
    private readonly docker: Docker,
    private readonly labels: Record<string, string>,
  ) {}

  /** `container:<id>` of the infra container, for the containers that join it. */
  get networkMode(): string {
    if (!this.infra) throw new Error('the pod sandbox has not been created');
    return `container:${this.infra.id}`;
  }

  /** The pod's `hostAliases` go into the sandbox's /etc/hosts, which its containers share. */
  async createSandbox(pauseImage: string, hostname: string, hostNetwork: boolean, hostAliases: HostAlias[] = []): Promise<void> {
    const extraHosts = hostAliases.flatMap((alias) => alias.hostnames.map((name) => `${name}:${alias.ip}`));
    const infra = await this.docker.createContainer({
      Image: pauseImage,
      Entrypoint: ['sleep', '2147483647'],
      Labels: this.labels,
      ...(hostNetwork ? {} : { Hostname: hostname }),
      HostConfig: {
        NetworkMode: hostNetwork ? 'host' : 'none',
        IpcMode: 'shareable',
        CapDrop: ['ALL'],
        ...(extraHosts.length ? { ExtraHosts: extraHosts } : {}),
      },
    });
    this.infra = infra;
    if (this.removed) return this.remove();
    await infra.start();
  }

  /**
   * Creates and starts a container, its stdout and stderr going to `output` from its first byte
   * (attached before the start). Resolves once it runs; `exit` settles when it has ended and its
   * output has been read.
   */
  async start(
    name: string,
    options: ContainerCreateOptions,
    output: (stream: 'stdout' | 'stderr', chunk: Buffer) => void,
  ): Promise<{ id: string; exit: Promise<ContainerExit> }> {
    const container = await this.docker.createContainer({ ...options, Labels: this.labels });
    this.containers.set(name, container);
    const attached = (await container.attach({ stream: true, stdout: true, stderr: true })) as Duplex;
    const ended = demux(this.docker, attached, output);
    try {
      await container.start();
    } catch (error) {
      attached.destroy();
      throw new ContainerStartError(
        (error as { json?: { message?: string } }).json?.message ?? (error as Error).message,
      );
    }
    const exit = Promise.all([container.wait(), ended]).then(async ([result]) => {
      const state = (await container.inspect()).State;
      return { exitCode: (result as { StatusCode: number }).StatusCode, oomKilled: state.OOMKilled };
    });
    return { id: container.id, exit };
  }

  /** Sends a signal to the container's PID 1; a container that already ended is left alone. */
  async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    await this.containers
      .get(name)
      ?.kill({ signal })
      .catch((error: { statusCode?: number }) => {
        // 409: it is not running any more; 404: it is gone. Either way nothing is left to stop.
        if (error.statusCode !== 409 && error.statusCode !== 404) throw error;
      });
  }

  /** Runs a command in one of the pod's running containers (kubectl exec). */
  async exec(name: string, argv: string[], user?: string): Promise<ExecSession> {
    const container = this.containers.get(name);
    if (!container) throw new Error(`container ${name} is not running`);
    const exec = await container.exec({
      Cmd: argv,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      ...(user ? { User: user } : {}),
    });
    const duplex = await exec.start({ hijack: true, stdin: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const ended = demux(this.docker, duplex, (stream, chunk) =>
      (stream === 'stdout' ? stdout : stderr).write(chunk),
    );
    const exit = ended.then(async () => {
      stdout.end();
      stderr.end();
      return (await exec.inspect()).ExitCode ?? 1;
    });
    const stdin = new Writable({
      write: (chunk, _encoding, done) => duplex.write(chunk, done),
      final: (done) => {
        duplex.end();
        done();
      },
    });
    return { stdout, stderr, stdin, exit, abort: () => duplex.destroy() };
  }

  /** Removes every container of the pod and its sandbox; safe to call twice. */
  async remove(): Promise<void> {
    this.removed = true;
    const all = [...this.containers.values(), ...(this.infra ? [this.infra] : [])];
    this.containers.clear();
    this.infra = undefined;
    await Promise.all(
      all.map((c) =>
        c.remove({ force: true, v: true }).catch((error: { statusCode?: number }) => {
          // 404: already gone; 409: removal already in progress.
          if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
        }),
      ),
    );
  }
}

/** Splits the engine's multiplexed stream (no TTY); resolves when it ends. */
function demux(
  docker: Docker,
  stream: Duplex,
  output: (stream: 'stdout' | 'stderr', chunk: Buffer) => void,
): Promise<void> {
  const sink = (name: 'stdout' | 'stderr') =>
    new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        output(name, chunk);
        done();
      },
    });
  docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}
