import Docker from 'dockerode';

/**
 * A client for the engine at `host` (`unix:///run/docker.sock`, `tcp://127.0.0.1:2375`); without
 * one, dockerode's own defaults: DOCKER_HOST, else /var/run/docker.sock.
 */
export function dockerClient(host?: string): Docker {
  if (!host) return new Docker();
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

/** The HTTP status of a failed engine call (404 no such object, 409 conflict, 304 not modified). */
export function engineStatus(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** The engine's own sentence for a failed call, without dockerode's "(HTTP code 404) …" prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } | null }).json;
  if (json && typeof json.message === 'string') return json.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/** Runs an engine call whose 404 (and 304/409 when `alsoIgnore` says so) means "already done". */
export async function ignoreGone(call: () => Promise<unknown>, alsoIgnore: number[] = []): Promise<void> {
  try {
    await call();
  } catch (error) {
    const status = engineStatus(error);
    if (status !== 404 && !alsoIgnore.includes(status ?? 0)) throw error;
  }
}

/**
 * Removes a container and returns once the engine no longer lists it. A removal already in
 * progress (409) or one the storage driver refused for a moment (busy mounts on a loaded host) is
 * tried again a few times; what is still left after that is the orphan sweep's.
 */
export async function removeContainer(container: Docker.Container): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await container.remove({ force: true });
      return;
    } catch (error) {
      if (engineStatus(error) === 404 || attempt === 5) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}
