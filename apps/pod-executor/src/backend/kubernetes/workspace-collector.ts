import type { V1Pod, V1Status } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { apiProblem, deleteIfPresent, KubeApi, readIfPresent } from './kube-api';
import { KubernetesBackendOptions } from './kubernetes.options';
import { collectArgv, collectorPodManifest } from './manifests';
import { COLLECT_CONTAINER, OWNER_DATA, ownerName } from './names';
import { containerStatus } from './pod-outcome';
import { PodWatcher } from './pod-watcher';
import { isUuid } from '@kiln/api-wire';

/** Pulling the helper image and starting it may take this long. */
const START_TIMEOUT_MS = 5 * 60_000;

/** The run's workspace could not be copied out of its volume. */
export class WorkspaceCopyError extends Error {
  override readonly name = 'WorkspaceCopyError';
}

/**
 * Copies files out of a run's volume onto this host, so artifacts are collected exactly as with
 * the local backend: a helper pod mounts the volume read-only (on the volume's node when it is
 * ReadWriteOnce), `tar` runs in it through the exec API, and the stream is unpacked under
 * `collectDir/<runId>`. The helper pod is deleted afterwards either way.
 */
export class WorkspaceCollector {
  private readonly logger = new Logger(WorkspaceCollector.name);

  constructor(
    private readonly api: KubeApi,
    private readonly options: KubernetesBackendOptions,
  ) {}

  dir(runId: string): string {
    if (!isUuid(runId)) throw new Error(`"${runId}" is not a run id`);
    return join(this.options.collectDir, runId);
  }

  /** The copied workspace (only `paths`, when given), or null when the run has no volume. */
  async collect(runId: string, paths?: string[]): Promise<string | null> {
    const owner = await readIfPresent(() =>
      this.api.core.readNamespacedConfigMap({ name: ownerName(runId), namespace: this.api.namespace }),
    );
    if (!owner?.metadata?.uid) return null;
    const safePaths = (paths ?? ['.']).filter(
      (p) => p.trim() && !isAbsolute(p) && !p.split(/[\\/]/).includes('..'),
    );
    const dir = this.dir(runId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const podName = `kiln-${runId.slice(0, 8)}-collect-${randomBytes(3).toString('hex')}`;
    const node = this.options.accessMode === 'ReadWriteOnce' ? owner.data?.[OWNER_DATA.node] : undefined;
    const manifest = collectorPodManifest({ runId, uid: owner.metadata.uid }, podName, node, this.options);
    try {
      const pod = await this.api.core.createNamespacedPod({ namespace: this.api.namespace, body: manifest });
      await this.whenRunning(pod);
      await this.copy(podName, safePaths, dir);
      return dir;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      if (error instanceof WorkspaceCopyError) throw error;
      throw new WorkspaceCopyError(`cannot copy the workspace of run ${runId}: ${apiProblem(error).message}`);
    } finally {
      await deleteIfPresent(() =>
        this.api.core.deleteNamespacedPod({
          name: podName,
          namespace: this.api.namespace,
          gracePeriodSeconds: 0,
        }),
      ).catch((error: unknown) =>
        this.logger.warn({ pod: podName, error: apiProblem(error).message }, 'helper pod not deleted'),
      );
    }
  }

  remove(runId: string): Promise<void> {
    return rm(this.dir(runId), { recursive: true, force: true });
  }

  private whenRunning(pod: V1Pod): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new WorkspaceCopyError('the helper pod did not start in time')),
        START_TIMEOUT_MS,
      );
      const watcher = new PodWatcher(this.api, pod.metadata!.name!, (current, gone) => {
        const state = containerStatus(current.status?.containerStatuses, COLLECT_CONTAINER)?.state;
        if (state?.running) return finish();
        const waiting = state?.waiting;
        if (gone) return finish(new WorkspaceCopyError('the helper pod was deleted before it started'));
        if (state?.terminated || current.status?.phase === 'Failed') {
          return finish(
            new WorkspaceCopyError(
              `the helper pod ended early: ${current.status?.message ?? state?.terminated?.reason ?? ''}`,
            ),
          );
        }
        if (waiting?.reason && /ImagePull|InvalidImageName|CreateContainer/.test(waiting.reason)) {
          return finish(
            new WorkspaceCopyError(
              `the helper image ${this.options.helperImage} cannot run (${waiting.reason}): ${waiting.message ?? ''}`,
            ),
          );
        }
      });
      const finish = (error?: Error) => {
        clearTimeout(timer);
        watcher.stop();
        if (error) reject(error);
        else resolve();
      };
      watcher.start(pod);
    });
  }

  private copy(podName: string, paths: string[], dir: string): Promise<void> {
    return copyOverExec(
      (stdout, stderr, onStatus) =>
        this.api.exec.exec(
          this.api.namespace,
          podName,
          COLLECT_CONTAINER,
          collectArgv(paths),
          stdout,
          stderr,
          null,
          false,
          onStatus,
        ),
      dir,
      this.options.copyIdleTimeoutMs,
    );
  }
}

/** Opens the exec stream: the remote tar's output into `stdout`, its errors into `stderr`. */
export type OpenExec = (
  stdout: Writable,
  stderr: Writable,
  onStatus: (status: V1Status) => void,
) => Promise<{ close(): void; on(event: 'close', listener: () => void): unknown }>;

/**
 * Unpacks what a remote `tar -c` writes over an exec stream into `dir`. A stream that brings
 * nothing for `idleMs` (an API server or kubelet that stopped answering without closing) is
 * closed and the copy fails, so a run's end never waits on it forever.
 */
export function copyOverExec(openExec: OpenExec, dir: string, idleMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner', '--no-same-permissions'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let tarErrors = '';
    let remoteErrors = '';
    let status: V1Status | undefined;
    let socket: { close(): void } | undefined;
    let stalled = false;
    tar.stderr.on('data', (d: Buffer) => (tarErrors = (tarErrors + d.toString()).slice(-2000)));
    // tar that cannot start (no free pid or fd) still closes, with a negative code.
    tar.once('error', (error) => (tarErrors ||= error.message));
    tar.stdin.on('error', () => undefined);
    const tarExit = new Promise<number | null>((done) => tar.once('close', done));
    const idle = setTimeout(() => {
      stalled = true;
      socket?.close();
      tar.kill();
      reject(
        new WorkspaceCopyError(
          `copying files out of the volume stalled: nothing came for ${idleMs / 1000} s`,
        ),
      );
    }, idleMs);
    // Refreshed as bytes arrive: the client writes without waiting for tar, so a slow disk is not
    // taken for a silent stream.
    const stdout = new PassThrough();
    const write = stdout.write.bind(stdout) as (...args: unknown[]) => boolean;
    stdout.write = ((...args: unknown[]) => {
      idle.refresh();
      return write(...args);
    }) as typeof stdout.write;
    stdout.pipe(tar.stdin);
    const stderr = new Writable({
      write(chunk: Buffer, _encoding, done) {
        idle.refresh();
        remoteErrors = (remoteErrors + chunk.toString()).slice(-2000);
        done();
      },
    });
    openExec(stdout, stderr, (s) => (status = s))
      .then((opened) => {
        socket = opened;
        if (stalled) return opened.close();
        opened.on('close', async () => {
          clearTimeout(idle);
          stdout.end();
          const code = await tarExit;
          if (status?.status !== 'Success') {
            return reject(
              new WorkspaceCopyError(
                `copying files out of the volume failed: ${status?.message ?? 'the exec stream closed early'} ${remoteErrors.trim()}`.trim(),
              ),
            );
          }
          if (code !== 0)
            return reject(new WorkspaceCopyError(`unpacking the workspace failed: ${tarErrors.trim()}`));
          resolve();
        });
      })
      .catch((error: unknown) => {
        clearTimeout(idle);
        tar.kill();
        reject(new WorkspaceCopyError(`cannot exec in the helper pod: ${apiProblem(error).message}`));
      });
  });
}
