import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { RunSpec, WorkspaceSetupError } from '../backend';
import { insideWorkspace, packPaths } from '../workspace-archive';
import { checkoutCommit } from '../local/git-checkout';
import { DockerBackendOptions } from './docker.options';
import { engineMessage, engineStatus, ignoreGone } from './engine';
import { holderName, labels, volumeName } from './names';

const READY_POLL_MS = 200;
const SETUP_TIMEOUT_MS = 10 * 60_000;

/**
 * A run's resources on the engine: a volume with the checkout, mounted at /workspace, and a holder
 * container that owns the run's network namespace (steps join it, so they share `localhost` and
 * the run's egress). The repository is cloned on this host and copied into the volume through the
 * holder before it starts, so no image needs git and a running holder means a complete workspace.
 * Of two executors setting up one run, the one that creates the holder clones; the other waits.
 */
export class RunWorkspace {
  private readonly preparing = new Map<string, Promise<string>>();

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerBackendOptions,
  ) {}

  /** Resolves with the holder's id once the run's workspace holds the checkout. */
  prepare(run: RunSpec): Promise<string> {
    let pending = this.preparing.get(run.runId);
    if (!pending) {
      pending = this.setUp(run);
      this.preparing.set(run.runId, pending);
      // A failed setup is tried again by the next step; a successful one is remembered.
      pending.catch(() => this.preparing.delete(run.runId));
    }
    return pending;
  }

  /** Copies `paths` (relative to /workspace) out to `collectDir/<runId>`; null when the run has no holder. */
  async collect(runId: string, paths: string[]): Promise<string | null> {
    const holder = this.docker.getContainer(holderName(runId));
    try {
      await holder.inspect();
    } catch (error) {
      if (engineStatus(error) === 404) return null;
      throw error;
    }
    const dir = join(this.options.collectDir, runId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await copyOut(holder, paths, dir);
    return dir;
  }

  /** `paths` of the run's workspace that exist, as one tar stream (copied out through a directory of its own). */
  async pack(runId: string, paths: string[]): Promise<Readable> {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-pack-'));
    const removeDir = () => rm(dir, { recursive: true, force: true });
    try {
      await copyOut(this.docker.getContainer(holderName(runId)), paths, dir);
    } catch (error) {
      await removeDir();
      throw error;
    }
    return packPaths(dir, paths, removeDir);
  }

  /** Unpacks a tar stream into the run's workspace; the engine keeps the entries' owners and modes. */
  async unpack(runId: string, archive: Readable): Promise<void> {
    await this.docker.getContainer(holderName(runId)).putArchive(archive, { path: '/workspace' });
  }

  /** Removes the holder and the volume; the run's step containers must be gone first. */
  async destroy(runId: string): Promise<void> {
    await this.preparing.get(runId)?.catch(() => undefined);
    this.preparing.delete(runId);
    await ignoreGone(() => this.docker.getContainer(holderName(runId)).remove({ force: true }), [409]);
    await ignoreGone(() => this.docker.getVolume(volumeName(runId)).remove(), [409]);
  }

  private async setUp(run: RunSpec): Promise<string> {
    const name = holderName(run.runId);
    const existing = await this.docker
      .getContainer(name)
      .inspect()
      .catch(() => undefined);
    if (existing) return this.whenReady(existing.Id, run.runId);
    await this.docker.createVolume({
      Name: volumeName(run.runId),
      Labels: labels(run.runId, 'workspace', this.options.executorId),
    });
    let holder: Docker.Container;
    try {
      holder = await this.docker.createContainer({
        name,
        Image: this.options.helperImage,
        Cmd: ['sleep', '2147483647'],
        Labels: labels(run.runId, 'holder', this.options.executorId),
        HostConfig: {
          NetworkMode: this.options.egress,
          Mounts: [{ Type: 'volume', Source: volumeName(run.runId), Target: '/workspace' }],
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          PidsLimit: 16,
          Memory: 32 * 1024 * 1024,
        },
      });
    } catch (error) {
      // Another executor on this engine created it first: it clones, this one waits.
      if (engineStatus(error) === 409) return this.whenReady(name, run.runId);
      throw new WorkspaceSetupError(`cannot create the run's workspace: ${engineMessage(error)}`);
    }
    try {
      await this.copyCheckout(holder, run);
      await holder.start();
      return holder.id;
    } catch (error) {
      await ignoreGone(() => holder.remove({ force: true }));
      await ignoreGone(() => this.docker.getVolume(volumeName(run.runId)).remove(), [409]);
      if (error instanceof WorkspaceSetupError) throw error;
      throw new WorkspaceSetupError(`cannot prepare the run's workspace: ${engineMessage(error)}`);
    }
  }

  private async copyCheckout(holder: Docker.Container, run: RunSpec): Promise<void> {
    const staging = await mkdtemp(join(tmpdir(), 'kiln-checkout-'));
    try {
      await checkoutCommit(staging, run);
      // Any step user may write the workspace (steps of one run belong to one project). Packed as
      // `workspace/…` and unpacked at /, so the engine also applies the mode to /workspace itself.
      const tar = spawn(
        'tar',
        ['-C', staging, '-c', '--owner=0', '--group=0', '--mode=a+rwX', '--transform=s,^\\.,workspace,', '.'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let errors = '';
      tar.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-1000)));
      // tar that cannot start (no free pid or fd) still closes, with a negative code.
      tar.once('error', (error) => (errors ||= error.message));
      const exited = new Promise<number | null>((resolve) => tar.once('close', resolve));
      await holder.putArchive(tar.stdout, { path: '/' }).catch((error: unknown) => {
        // The engine only unpipes a body it refused: tar would wait on a full pipe forever.
        tar.kill();
        throw error;
      });
      const code = await exited;
      if (code !== 0) throw new WorkspaceSetupError(`cannot pack the checkout: ${errors.trim()}`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async whenReady(holderId: string, runId: string): Promise<string> {
    const holder = this.docker.getContainer(holderId);
    const deadline = Date.now() + SETUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const info = await holder.inspect().catch((error: unknown) => {
        if (engineStatus(error) === 404)
          throw new WorkspaceSetupError('the run workspace set up by another executor failed');
        throw error;
      });
      if (info.State.Running) return info.Id;
      // Exited: the engine restarted or someone stopped it; the checkout in the volume is complete.
      if (info.State.Status === 'exited') {
        await ignoreGone(() => holder.start(), [304]);
        return info.Id;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    throw new WorkspaceSetupError(`the workspace of run ${runId} was not ready within 10 minutes`);
  }
}

/** Copies `paths` (relative to /workspace) of the holder's workspace into `dir`; missing ones are left out. */
async function copyOut(holder: Docker.Container, paths: string[], dir: string): Promise<void> {
  for (const path of paths) {
    const relative = insideWorkspace(path);
    if (!relative) continue;
    let archive: NodeJS.ReadableStream;
    try {
      archive = await holder.getArchive({ path: `/workspace/${relative}` });
    } catch (error) {
      if (engineStatus(error) === 404) continue; // the path does not exist: the caller reports it missing
      throw error;
    }
    const target = join(dir, dirname(relative));
    await mkdir(target, { recursive: true });
    await untar(archive as Readable, target);
  }
}

/** Unpacks an engine archive into `dir` on this host, as the executor's user. */
export function untar(archive: Readable, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner', '--no-same-permissions'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let errors = '';
    tar.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-1000)));
    tar.once('error', reject);
    tar.stdin.on('error', () => undefined);
    archive.on('error', (error) => {
      tar.kill();
      reject(error);
    });
    archive.pipe(tar.stdin);
    tar.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`cannot unpack the workspace copy: ${errors.trim()}`)),
    );
  });
}
