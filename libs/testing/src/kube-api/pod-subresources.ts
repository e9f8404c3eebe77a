import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ApiError, badRequest } from './api-status';
import { parseTimeNs } from './container-log';
import { KubeObject } from './kube-object';
import { Kubelet } from './kubelet';
import { ObjectStore } from './object-store';

const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

/** `pods/log` and `pods/exec`: what the API server proxies to the pod's kubelet. */
export class PodSubresources {
  private readonly brokenOnce = new Set<string>();
  private readonly sockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  constructor(
    private readonly store: ObjectStore,
    private readonly kubelet: Kubelet,
  ) {}

  log(res: ServerResponse, namespace: string, name: string, query: URLSearchParams): void {
    const pod = this.store.mustGet('pods', namespace, name);
    const containerName = this.containerName(pod, query.get('container'));
    if (query.get('previous') === 'true') {
      throw badRequest(`previous terminated container "${containerName}" in pod "${name}" not found`);
    }
    const runtime = this.kubelet.runtime(namespace, name);
    if (runtime?.nodeLost) {
      throw new ApiError(
        500,
        'InternalError',
        `Get "https://10.0.0.1:10250/containerLogs/${namespace}/${name}/${containerName}": dial tcp 10.0.0.1:10250: connect: no route to host`,
      );
    }
    const log = runtime?.logs.get(containerName);
    if (!log)
      throw badRequest(
        `container "${containerName}" in pod "${name}" is waiting to start: ${this.waitingReason(pod, containerName)}`,
      );
    const sinceTime = query.get('sinceTime');
    const sinceSeconds = query.get('sinceSeconds');
    const sinceNs = sinceTime
      ? parseTimeNs(sinceTime)
      : sinceSeconds
        ? BigInt(Date.now() - Number(sinceSeconds) * 1000) * 1_000_000n
        : undefined;
    if (sinceTime && sinceNs === undefined) throw badRequest(`invalid sinceTime "${sinceTime}"`);
    const follow = query.get('follow') === 'true';
    log.serve(res, {
      follow,
      timestamps: query.get('timestamps') === 'true',
      sinceNs,
      tailLines: query.has('tailLines') ? Number(query.get('tailLines')) : undefined,
      limitBytes: query.has('limitBytes') ? Number(query.get('limitBytes')) : undefined,
      breakAfterLines: follow ? this.breakAfter(pod, containerName) : undefined,
    });
  }

  /** Upgrades `pods/exec` to a channel.k8s.io WebSocket and runs the command in the container. */
  exec(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    namespace: string,
    name: string,
    query: URLSearchParams,
  ): void {
    const pod = this.store.mustGet('pods', namespace, name);
    const containerName = this.containerName(pod, query.get('container'));
    const runtime = this.kubelet.runtime(namespace, name);
    if (!runtime?.isRunning(containerName))
      throw badRequest(`container ${containerName} is not running in pod ${name}`);
    const argv = query.getAll('command');
    if (argv.length === 0) throw badRequest('you must specify at least one command for the container');
    this.sockets.handleUpgrade(req, socket, head, (ws) => {
      const frame = (channel: number, data: Buffer) => ws.send(Buffer.concat([Buffer.from([channel]), data]));
      runtime.exec(containerName, argv).then(
        (session) => {
          session.stdout.on('data', (data: Buffer) => frame(STDOUT, data));
          session.stderr.on('data', (data: Buffer) => frame(STDERR, data));
          if (query.get('stdin') !== 'true') session.stdin.end();
          ws.on('message', (data: Buffer) => {
            if (data[0] === STDIN) session.stdin.write(data.subarray(1));
            if (data[0] === CLOSE && data[1] === STDIN) session.stdin.end();
          });
          ws.on('close', () => session.abort());
          void session.exit.then((exitCode) => {
            const status =
              exitCode === 0
                ? { metadata: {}, status: 'Success' }
                : failure(`command terminated with non-zero exit code: exit status ${exitCode}`, exitCode);
            frame(STATUS, Buffer.from(JSON.stringify(status)));
            ws.close();
          });
        },
        (error: Error) => {
          frame(STATUS, Buffer.from(JSON.stringify(failure(error.message))));
          ws.close();
        },
      );
    });
  }

  // `kiln.test/break-log-after-lines` breaks the first follow stream of the pod's last container.
  private breakAfter(pod: KubeObject, container: string): number | undefined {
    const lines = pod.metadata.annotations?.['kiln.test/break-log-after-lines'];
    const containers = (pod.spec as { containers: { name: string }[] }).containers;
    const key = `${pod.metadata.uid}/${container}`;
    if (!lines || containers[containers.length - 1].name !== container || this.brokenOnce.has(key))
      return undefined;
    this.brokenOnce.add(key);
    return Number(lines);
  }

  private containerName(pod: KubeObject, requested: string | null): string {
    const spec = pod.spec as { containers: { name: string }[]; initContainers?: { name: string }[] };
    const all = [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.name);
    if (!requested) {
      if (spec.containers.length === 1) return spec.containers[0].name;
      throw badRequest(
        `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${spec.containers.map((c) => c.name).join(' ')}]`,
      );
    }
    if (!all.includes(requested))
      throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    return requested;
  }

  private waitingReason(pod: KubeObject, container: string): string {
    const status = pod.status as
      { containerStatuses?: StatusJson[]; initContainerStatuses?: StatusJson[] } | undefined;
    const all = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
    return all.find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
  }
}

interface StatusJson {
  name: string;
  state?: { waiting?: { reason?: string } };
}

function failure(message: string, exitCode?: number) {
  return {
    metadata: {},
    status: 'Failure',
    message,
    reason: exitCode === undefined ? 'InternalError' : 'NonZeroExitCode',
    details:
      exitCode === undefined ? undefined : { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}
