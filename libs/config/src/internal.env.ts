import { IsIP, IsString, MinLength } from 'class-validator';

/** Apps on either end of the internal API (artifact-service, executors) read this. */
export class InternalTokenEnv {
  /**
   * Shared secret sent as `X-Kiln-Internal-Token` on every service-to-service call; required so
   * that no deployment can leave the internal API open by forgetting it.
   */
  @IsString() @MinLength(16) KILN_INTERNAL_TOKEN!: string;
}

/** Apps that serve nothing tenants call (scheduler, log-archiver, artifact-service) read this. */
export class InternalListenEnv {
  /**
   * Address their HTTP port (health, metrics, the internal API) listens on. Containers need
   * 0.0.0.0; the embedded start sets 127.0.0.1 so they are not reachable from other machines.
   */
  @IsIP() KILN_INTERNAL_BIND_HOST: string = '0.0.0.0';
}
