import { BlockList, isIP } from 'node:net';

/** Why an address is no place for a tenant to send Kiln. */
export type AddressKind =
  | 'cloud metadata'
  | 'broadcast'
  | 'loopback'
  | 'unspecified'
  | 'private'
  | 'carrier-grade NAT'
  | 'link-local'
  | 'multicast'
  | 'reserved';

type Range = [address: string, prefix: number];

// Checked in this order, so the narrower kind names a match first (169.254.169.254 is link-local
// too, 255.255.255.255 reserved too).
const FORBIDDEN: [AddressKind, Range[], Range[]][] = [
  // AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Alibaba; AWS's IPv6 endpoint.
  [
    'cloud metadata',
    [
      ['169.254.169.254', 32],
      ['169.254.170.2', 32],
      ['100.100.100.200', 32],
    ],
    [['fd00:ec2::254', 128]],
  ],
  ['broadcast', [['255.255.255.255', 32]], []],
  ['loopback', [['127.0.0.0', 8]], [['::1', 128]]],
  ['unspecified', [['0.0.0.0', 8]], [['::', 128]]],
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
    [
      ['fc00::', 7],
      ['fec0::', 10],
    ],
  ],
  ['carrier-grade NAT', [['100.64.0.0', 10]], []],
  ['link-local', [['169.254.0.0', 16]], [['fe80::', 10]]],
  ['multicast', [['224.0.0.0', 4]], [['ff00::', 8]]],
  [
    'reserved',
    [
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['240.0.0.0', 4],
    ],
    [
      ['100::', 64],
      ['2001:db8::', 32],
    ],
  ],
];

const LISTS: [AddressKind, BlockList][] = FORBIDDEN.map(([kind, v4, v6]) => {
  const list = new BlockList();
  for (const [address, prefix] of v4) list.addSubnet(address, prefix, 'ipv4');
  for (const [address, prefix] of v6) list.addSubnet(address, prefix, 'ipv6');
  return [kind, list];
});

/** The kind of forbidden address `ip` is (an IPv4 address inside an IPv6 one counts), or undefined. */
export function forbiddenKind(ip: string): AddressKind | undefined {
  const family = isIP(ip);
  if (family === 0) throw new Error(`not an IP address: ${ip}`);
  const inner = family === 6 ? embeddedIpv4(ip) : undefined;
  if (inner) {
    const kind = forbiddenKind(inner);
    if (kind) return kind;
  }
  return LISTS.find(([, list]) => list.check(ip, family === 4 ? 'ipv4' : 'ipv6'))?.[0];
}

/**
 * The IPv4 address an IPv6 one carries and that a connection to it may reach: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and
 * Teredo (2001::/32, client address inverted).
 */
export function embeddedIpv4(ip: string): string | undefined {
  const g = ipv6Groups(ip);
  const low = (hi: number, lo: number) => quad(hi >> 8, hi & 255, lo >> 8, lo & 255);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0xffff || (g[5] === 0 && (g[6]! > 0 || g[7]! > 1)))) return low(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return low(g[6]!, g[7]!);
  if (g[0] === 0x2002) return low(g[1]!, g[2]!);
  if (g[0] === 0x2001 && g[1] === 0) return low(g[6]! ^ 0xffff, g[7]! ^ 0xffff);
  return undefined;
}

/**
 * The IPv4 address a host written in the numeric forms inet_aton (and so git, curl and ssh)
 * accepts stands for: 2130706433, 0x7f000001, 0177.0.0.1, 127.1. Undefined for anything else.
 */
export function numericIpv4(host: string): string | undefined {
  const parts = host.split('.');
  if (parts.length > 4 || !parts.every((p) => /^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i.test(p)))
    return undefined;
  const numbers = parts.map((p) =>
    /^0x/i.test(p)
      ? parseInt(p.slice(2) || '0', 16)
      : p.length > 1 && p.startsWith('0')
        ? parseInt(p, 8)
        : Number(p),
  );
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return undefined;
  const value = numbers.reduce((sum, n, i) => sum + n * 256 ** (3 - i), 0) + last;
  return quad(value / 2 ** 24, value / 2 ** 16, value / 2 ** 8, value);
}

function quad(...bytes: number[]): string {
  return bytes.map((b) => Math.floor(b) % 256).join('.');
}

// Eight 16-bit groups of an IPv6 address, a trailing dotted quad included.
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((h) => parseInt(h, 16));
}
