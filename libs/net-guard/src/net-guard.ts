import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AddressKind, forbiddenKind, numericIpv4 } from './address-ranges';
import { AllowList, normalizeHost } from './allow-list';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** A host the guard let through, with the addresses a connection to it may use (pin one of them). */
export interface VettedHost {
  host: string;
  addresses: ResolvedAddress[];
}

export type ResolveAll = (host: string) => Promise<ResolvedAddress[]>;

/** The host names or resolves to an address tenants may not reach; the message says which kind. */
export class HostRefusedError extends Error {
  constructor(
    readonly kind: AddressKind,
    how: 'is' | 'resolves to',
    what: 'address' | 'name' = 'address',
  ) {
    super(
      `${how} ${kind === 'unspecified' ? 'an' : 'a'} ${kind} ${what}; ` +
        (kind === 'cloud metadata'
          ? 'cloud metadata endpoints are never reachable'
          : 'only hosts the operator lists in KILN_ALLOWED_PRIVATE_HOSTS may be'),
    );
    this.name = 'HostRefusedError';
  }
}

/** The host name does not resolve (now); nothing was connected to. */
export class HostUnresolvedError extends Error {
  constructor() {
    super('does not resolve');
    this.name = 'HostUnresolvedError';
  }
}

// Names of metadata services, refused before any lookup (they do not resolve outside their cloud).
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);

/**
 * The one SSRF guard: every address a tenant can name (webhook, repository) passes `vet` before
 * Kiln connects to it. Refuses loopback, private, link-local, CGNAT, multicast, unspecified,
 * broadcast and reserved addresses in every form, and any name resolving to one (if ANY of its
 * addresses is), unless the operator's allow-list names the host or the address. Cloud metadata
 * endpoints are refused even then: no tenant-named address has a reason to reach them.
 */
export class NetGuard {
  constructor(
    private readonly allow: AllowList = new AllowList(),
    private readonly resolve: ResolveAll = (host) => lookup(host, { all: true, verbatim: true }),
  ) {}

  async vet(rawHost: string): Promise<VettedHost> {
    const host = normalizeHost(rawHost);
    const literal = isIP(host) ? host : numericIpv4(host);
    if (literal) {
      this.check(literal, 'is', this.allow.hasName(host));
      return { host, addresses: [{ address: literal, family: isIP(literal) }] };
    }
    const listed = this.allow.hasName(host);
    if (METADATA_NAMES.has(host)) throw new HostRefusedError('cloud metadata', 'is', 'name');
    if ((host === 'localhost' || host.endsWith('.localhost')) && !listed)
      throw new HostRefusedError('loopback', 'is', 'name');
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolve(host);
    } catch {
      throw new HostUnresolvedError();
    }
    if (addresses.length === 0) throw new HostUnresolvedError();
    for (const { address } of addresses) this.check(address, 'resolves to', listed);
    return { host, addresses };
  }

  private check(address: string, how: 'is' | 'resolves to', listed: boolean): void {
    const kind = forbiddenKind(address);
    if (!kind) return;
    if (kind !== 'cloud metadata' && (listed || this.allow.hasAddress(address))) return;
    throw new HostRefusedError(kind, how);
  }
}
