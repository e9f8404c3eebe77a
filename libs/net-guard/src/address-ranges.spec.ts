import { forbiddenKind, numericIpv4 } from './address-ranges';

describe('forbiddenKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'cloud metadata'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['100.100.100.200', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
  ])('%s is %s', (ip, kind) => {
    expect(forbiddenKind(ip)).toBe(kind);
  });

  it.each(['8.8.8.8', '140.82.112.3', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'lets the public address %s pass',
    (ip) => {
      expect(forbiddenKind(ip)).toBeUndefined();
    },
  );
});

describe('numericIpv4', () => {
  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['10.1', '10.0.0.1'],
    ['1.2.3.4', '1.2.3.4'],
  ])('reads %s as %s', (host, ip) => {
    expect(numericIpv4(host)).toBe(ip);
  });

  it.each(['github.com', '256.1.1.1', '1.2.3.4.5', '4294967296', '08.1.1.1', '1.2.3.x'])(
    'leaves %s to DNS',
    (host) => {
      expect(numericIpv4(host)).toBeUndefined();
    },
  );
});
