import { loadEnv, NetGuardEnv } from '@kiln/config';
import { registryOf } from '@kiln/definition';
import { HostRefusedError, HostUnresolvedError, NetGuard, netGuardFrom } from '@kiln/net-guard';
import type Docker from 'dockerode';
import { StepStartError } from '../backend';
import { PullPolicy } from './docker.options';
import { engineMessage, engineStatus } from './engine';

/** Credentials for one registry, sent to the engine as registry auth and never logged. */
export interface RegistryCredential {
  /** Registry host as written in image names (`registry.example.com`, `127.0.0.1:5000`). */
  server: string;
  username: string;
  password: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?';
/** Docker's reference grammar: [registry/]path[:tag][@digest]. */
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

/** Why `image` is not an image reference, or undefined when it is one. */
export function imageReferenceProblem(image: string): string | undefined {
  if (image.length > 512 || !REFERENCE.test(image))
    return `"${image.slice(0, 100)}" is not an image reference (expected [registry/]name[:tag][@sha256:digest])`;
  return undefined;
}

/** The image as the engine stores it once pulled: a tag defaults to `latest` unless a digest is given. */
function withTag(image: string): string {
  const name = image.split('@')[0];
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return image.includes('@') || lastPart.includes(':') ? image : `${image}:latest`;
}

/**
 * Makes the step's image present on the engine according to the pull policy and answers its
 * digest (`name@sha256:…` when the image came from a registry, else the image id). Every failure
 * is a StepStartError carrying the registry's reason.
 */
export class ImagePuller {
  constructor(
    private readonly docker: Docker,
    private readonly policy: PullPolicy,
    private readonly timeoutMs: number,
    private readonly guard: NetGuard = guardFromEnv(),
  ) {}

  async ensure(image: string, credentials: RegistryCredential[] = []): Promise<string> {
    const problem = imageReferenceProblem(image);
    if (problem) throw new StepStartError(problem);
    const present = this.policy === 'always' ? undefined : await this.inspect(image);
    if (present) return present;
    if (this.policy === 'never')
      throw new StepStartError(`image "${image}" is not on this executor and the pull policy is "never"`);
    const registry = registryOf(image);
    await this.vet(image, registry);
    await this.pull(
      image,
      credentials.find((c) => c.server === registry),
    );
    const pulled = await this.inspect(image);
    if (!pulled) throw new StepStartError(`image "${image}" was pulled but the engine does not have it`);
    return pulled;
  }

  /**
   * A tenant names the registry, and the engine connects to it with this host's network: the host
   * passes the SSRF guard first, checked at every pull because its DNS may change. The engine
   * resolves the name again itself, so this narrows DNS rebinding but cannot pin the address.
   */
  private async vet(image: string, registry: string): Promise<void> {
    if (registry === 'docker.io') return;
    try {
      await this.guard.vet(withoutPort(registry));
    } catch (error) {
      if (!(error instanceof HostRefusedError || error instanceof HostUnresolvedError)) throw error;
      throw new StepStartError(`cannot pull image "${image}": registry host ${registry} ${error.message}`);
    }
  }

  private async inspect(image: string): Promise<string | undefined> {
    try {
      const info = await this.docker.getImage(withTag(image)).inspect();
      const repository = image.split('@')[0].replace(/:[\w][\w.-]*$/, '');
      // Another name of the same image (a tag pushed elsewhere) is not what this step named.
      return info.RepoDigests?.find((d) => d.startsWith(`${repository}@`)) ?? info.Id;
    } catch (error) {
      if (engineStatus(error) === 404) return undefined;
      throw new StepStartError(`cannot inspect image "${image}": ${engineMessage(error)}`);
    }
  }

  private async pull(image: string, credential?: RegistryCredential): Promise<void> {
    const auth = credential
      ? { username: credential.username, password: credential.password, serveraddress: credential.server }
      : undefined;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(withTag(image), auth ? { authconfig: auth } : {});
    } catch (error) {
      throw new StepStartError(`cannot pull image "${image}": ${engineMessage(error)}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(
          new StepStartError(`pulling image "${image}" did not finish within ${this.timeoutMs / 1000} s`),
        );
      }, this.timeoutMs);
    });
    const finished = new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (error: Error | null, events: PullEvent[]) => {
        const failed = events?.find((e) => e.error || e.errorDetail);
        if (error || failed) {
          const reason = failed?.errorDetail?.message ?? failed?.error ?? engineMessage(error);
          reject(new StepStartError(`cannot pull image "${image}": ${reason}`));
        } else resolve();
      }),
    );
    try {
      await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

interface PullEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

const withoutPort = (registry: string) => registry.replace(/:[0-9]+$/, '');

// The guard's settings come from the same environment the executor's config reads (as the
// checkout's do): KILN_ALLOWED_PRIVATE_HOSTS lets an operator's private registry through, and
// the platform's own registry (KILN_REGISTRY, where build steps push) is trusted like it.
function guardFromEnv(): NetGuard {
  const platformRegistry = process.env.KILN_REGISTRY;
  return netGuardFrom(
    { ...loadEnv([NetGuardEnv], process.env), KILN_DATA_DIR: process.env.KILN_DATA_DIR || '.kiln' },
    platformRegistry ? [withoutPort(registryOf(`${platformRegistry}/image`))] : [],
  );
}
