import { isProxyAddress } from './proxy-list';

describe('isProxyAddress', () => {
  it.each(['10.0.0.7', '10.0.0.0/8', '127.0.0.1/32', '::1', 'fd00::/8', '2001:db8::/128'])(
    'accepts %s',
    (entry) => expect(isProxyAddress(entry)).toBe(true),
  );

  it.each(['loopback', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', '10.0.0', '10.0.0.0/x', '*', ''])(
    'refuses %s',
    (entry) => expect(isProxyAddress(entry)).toBe(false),
  );
});
