import { ConfigError } from '@kiln/config';
import { loadConfig } from './config';

const required = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/kiln',
  KILN_SECRET_KEY: 'a'.repeat(64),
};

describe('gateway config', () => {
  it('trusts no proxy by default', () => {
    expect(loadConfig(required).KILN_TRUSTED_PROXIES).toEqual([]);
  });

  it('reads trusted proxies as a comma-separated list of addresses and ranges', () => {
    const config = loadConfig({ ...required, KILN_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.4,fd00::/8' });
    expect(config.KILN_TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '192.168.1.4', 'fd00::/8']);
  });

  it('stops on a trusted proxy that is no address, naming the variable', () => {
    expect(() => loadConfig({ ...required, KILN_TRUSTED_PROXIES: 'loopback,10.0.0.0/8' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ...required, KILN_TRUSTED_PROXIES: 'loopback' })).toThrow(
      /KILN_TRUSTED_PROXIES \("loopback"\): must be IP addresses or CIDR ranges/,
    );
  });
});
