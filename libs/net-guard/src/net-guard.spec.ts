import { AllowList } from './allow-list';
import { HostRefusedError, HostUnresolvedError, NetGuard, ResolvedAddress } from './net-guard';

// No test here sends a packet: names resolve through a table, and vet() never connects.
const DNS: Record<string, ResolvedAddress[]> = {
  'public.test': [{ address: '140.82.112.3', family: 4 }],
  'internal.test': [{ address: '10.1.2.3', family: 4 }],
  'mixed.test': [
    { address: '140.82.112.3', family: 4 },
    { address: 'fd00::5', family: 6 },
  ],
  'v6-loop.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
  'rebind.test': [{ address: '169.254.169.254', family: 4 }],
};
const resolveFromTable = async (host: string) => {
  const found = DNS[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};
const guard = (allow: string[] = []) => new NetGuard(new AllowList(allow), resolveFromTable);

describe('NetGuard', () => {
  it.each([
    ['127.0.0.1', 'is a loopback address'],
    ['localhost', 'is a loopback name'],
    ['LOCALHOST.', 'is a loopback name'],
    ['app.localhost', 'is a loopback name'],
    ['[::1]', 'is a loopback address'],
    ['::ffff:127.0.0.1', 'is a loopback address'],
    ['[::ffff:7f00:1]', 'is a loopback address'],
    ['0x7f000001', 'is a loopback address'],
    ['2130706433', 'is a loopback address'],
    ['0177.0.0.1', 'is a loopback address'],
    ['127.1', 'is a loopback address'],
    ['10.0.0.1', 'is a private address'],
    ['192.168.0.10', 'is a private address'],
    ['[fd12::1]', 'is a private address'],
    ['169.254.169.254', 'is a cloud metadata address'],
    ['[fd00:ec2::254]', 'is a cloud metadata address'],
    ['metadata.google.internal', 'is a cloud metadata name'],
    ['metadata.google.internal.', 'is a cloud metadata name'],
    ['169.254.10.1', 'is a link-local address'],
    ['[fe80::1]', 'is a link-local address'],
    ['100.64.0.1', 'is a carrier-grade NAT address'],
    ['224.0.0.251', 'is a multicast address'],
    ['0.0.0.0', 'is an unspecified address'],
    ['[::]', 'is an unspecified address'],
    ['255.255.255.255', 'is a broadcast address'],
    ['internal.test', 'resolves to a private address'],
    ['mixed.test', 'resolves to a private address'],
    ['v6-loop.test', 'resolves to a loopback address'],
    ['rebind.test', 'resolves to a cloud metadata address'],
  ])('refuses %s: it %s', async (host, sentence) => {
    const refusal = guard().vet(host);
    await expect(refusal).rejects.toBeInstanceOf(HostRefusedError);
    await expect(refusal).rejects.toThrow(new RegExp(`^${sentence};`));
  });

  it('lets public hosts through with every address they resolve to', async () => {
    await expect(guard().vet('PUBLIC.test')).resolves.toEqual({
      host: 'public.test',
      addresses: DNS['public.test'],
    });
    await expect(guard().vet('8.8.8.8')).resolves.toEqual({
      host: '8.8.8.8',
      addresses: [{ address: '8.8.8.8', family: 4 }],
    });
  });

  it('says when a name does not resolve', async () => {
    await expect(guard().vet('nowhere.test')).rejects.toBeInstanceOf(HostUnresolvedError);
  });

  it('lets the operator allow hosts by name, address and range', async () => {
    await expect(guard(['internal.test']).vet('internal.test')).resolves.toMatchObject({
      host: 'internal.test',
    });
    await expect(guard(['localhost']).vet('localhost')).rejects.toBeInstanceOf(HostUnresolvedError);
    await expect(guard(['127.0.0.1']).vet('127.0.0.1')).resolves.toMatchObject({ host: '127.0.0.1' });
    await expect(guard(['127.0.0.1']).vet('0x7f000001')).resolves.toMatchObject({
      addresses: [{ address: '127.0.0.1', family: 4 }],
    });
    await expect(guard(['10.0.0.0/8']).vet('internal.test')).resolves.toMatchObject({
      host: 'internal.test',
    });
    await expect(guard(['10.0.0.0/8']).vet('[::ffff:10.9.9.9]')).resolves.toMatchObject({
      host: '::ffff:10.9.9.9',
    });
    await expect(guard(['fd00::/8']).vet('mixed.test')).resolves.toMatchObject({ host: 'mixed.test' });
  });

  it('keeps refusing what the allow-list does not cover', async () => {
    await expect(guard(['127.0.0.1']).vet('127.0.0.2')).rejects.toThrow('is a loopback address');
    await expect(guard(['10.0.0.0/16']).vet('10.1.0.1')).rejects.toThrow('is a private address');
    await expect(guard(['140.82.112.3']).vet('mixed.test')).rejects.toThrow('resolves to a private address');
  });

  it('never allows cloud metadata endpoints, even when listed', async () => {
    await expect(guard(['169.254.0.0/16']).vet('169.254.169.254')).rejects.toThrow('cloud metadata');
    await expect(guard(['rebind.test']).vet('rebind.test')).rejects.toThrow('cloud metadata');
    await expect(guard(['metadata.google.internal']).vet('metadata.google.internal')).rejects.toThrow(
      'cloud metadata',
    );
  });

  it('refuses allow-list entries that are neither hosts nor ranges', () => {
    expect(() => new AllowList(['10.0.0.0/40'])).toThrow('bad prefix length');
    expect(() => new AllowList(['db.internal/8'])).toThrow('not an address range');
  });
});
