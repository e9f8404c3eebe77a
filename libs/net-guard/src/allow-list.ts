import { BlockList, isIP } from 'node:net';
import { embeddedIpv4 } from './address-ranges';

/**
 * The operator's exceptions (KILN_ALLOWED_PRIVATE_HOSTS): host names, IP addresses and CIDR
 * ranges tenants may name although they are loopback, private or otherwise internal.
 */
export class AllowList {
  private readonly names = new Set<string>();
  private readonly addresses = new BlockList();

  constructor(entries: string[] = []) {
    for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const bare = address.replace(/^\[(.*)\]$/, '$1');
      const family = isIP(bare);
      if (family === 0) {
        if (prefix !== undefined) throw new Error(`"${entry}" is not an address range`);
        this.names.add(normalizeHost(entry));
        continue;
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) {
        this.addresses.addAddress(bare, type);
      } else {
        const bits = Number(prefix);
        if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128))
          throw new Error(`"${entry}" has a bad prefix length`);
        this.addresses.addSubnet(bare, bits, type);
      }
    }
  }

  /** Parses the comma-separated form of the environment variable. */
  static parse(text: string | undefined): AllowList {
    return new AllowList((text ?? '').split(','));
  }

  hasName(host: string): boolean {
    return this.names.has(normalizeHost(host));
  }

  hasAddress(ip: string): boolean {
    const inner = isIP(ip) === 6 ? embeddedIpv4(ip) : undefined;
    return (
      this.addresses.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6') ||
      (inner !== undefined && this.addresses.check(inner, 'ipv4'))
    );
  }
}

/** Lower case, no brackets around an IPv6 literal, no trailing root dot. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}
