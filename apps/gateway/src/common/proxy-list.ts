import { ValidateBy } from 'class-validator';
import { isIP } from 'node:net';

/** `10.0.0.7`, `10.0.0.0/8`, `fd00::/8`: what Express's `trust proxy` accepts as an address. */
export function isProxyAddress(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export function IsProxyList(): PropertyDecorator {
  return ValidateBy({
    name: 'isProxyList',
    validator: {
      validate: (value: unknown) =>
        Array.isArray(value) && value.every((v) => typeof v === 'string' && isProxyAddress(v)),
      defaultMessage: () => 'must be IP addresses or CIDR ranges separated by commas',
    },
  });
}
