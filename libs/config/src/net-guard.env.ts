import { isAbsolute } from 'node:path';
import { isIP } from 'node:net';
import { ValidateBy } from 'class-validator';
import { EnvBoolean } from './load-config';

/** What tenants may make the platform connect to or read (the SSRF guard of @kiln/net-guard). */
export class NetGuardEnv {
  /** Host names, IPs and CIDRs tenants may name although they are loopback, private or link-local. */
  @EachItem(isHostOrRange, 'must be comma-separated host names, IP addresses or CIDR ranges')
  KILN_ALLOWED_PRIVATE_HOSTS: string = '';
  /** Accept local paths and file:// URLs as repositories, inside KILN_LOCAL_REPO_ROOTS only. */
  @EnvBoolean() KILN_ALLOW_LOCAL_REPOS: boolean = false;
  /** The directories local repositories may be read from. */
  @EachItem(isAbsolute, 'must be comma-separated absolute directories')
  KILN_LOCAL_REPO_ROOTS: string = '';
}

// A comma-separated list whose every item passes `check`.
function EachItem(check: (item: string) => boolean, message: string): PropertyDecorator {
  return ValidateBy({
    name: 'eachItem',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' &&
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .every(check),
      defaultMessage: () => message,
    },
  });
}

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

function isHostOrRange(item: string): boolean {
  const [address, prefix, extra] = item.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address.replace(/^\[(.*)\]$/, '$1'));
  if (prefix !== undefined)
    return family !== 0 && /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  return family !== 0 || HOST_NAME.test(address);
}
