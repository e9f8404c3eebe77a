import { generateApiToken, generateKey, hashToken, safeEqual, SecretBox, SecretDecryptionError, TOKEN_PREFIX } from './index';

describe('SecretBox', () => {
  const box = new SecretBox(generateKey());

  it('round-trips a value bound to its context', () => {
    const sealed = box.encrypt('s3cr3t value', 'project-1');
    expect(sealed).not.toContain('s3cr3t');
    expect(box.decrypt(sealed, 'project-1')).toBe('s3cr3t value');
  });

  it('refuses another context, another key and tampered data', () => {
    const sealed = box.encrypt('value', 'project-1');
    expect(() => box.decrypt(sealed, 'project-2')).toThrow(SecretDecryptionError);
    expect(() => new SecretBox(generateKey()).decrypt(sealed, 'project-1')).toThrow(SecretDecryptionError);
    const parts = sealed.split(':');
    parts[3] = Buffer.from('other').toString('base64');
    expect(() => box.decrypt(parts.join(':'), 'project-1')).toThrow(SecretDecryptionError);
    expect(() => box.decrypt('garbage', 'project-1')).toThrow(/unknown format/);
  });

  it('rejects keys of the wrong size', () => {
    expect(() => new SecretBox('abcd')).toThrow(/32 bytes/);
  });
});

describe('tokens', () => {
  it('are random, prefixed and hashed deterministically', () => {
    const a = generateApiToken();
    expect(a.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(a).not.toBe(generateApiToken());
    expect(hashToken(a)).toBe(hashToken(a));
    expect(hashToken(a)).not.toContain(a);
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
