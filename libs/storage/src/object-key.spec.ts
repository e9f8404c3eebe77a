import { assertObjectKey, assertObjectPrefix } from './object-key';
import { InvalidObjectKeyError } from './storage.errors';

describe('object keys', () => {
  it.each([
    'logs/pipelines/0b9e/build.log',
    'artifacts/run-1/dist/app.tar.gz',
    'a',
    '.hidden/x',
    'a/..b/c..',
    'ünïcode/✓ name.txt',
    `${'x'.repeat(255)}/y`,
  ])('accepts %s', (key) => {
    expect(() => assertObjectKey(key)).not.toThrow();
  });

  it('accepts a key of exactly 1024 bytes and refuses one byte more', () => {
    const key = [200, 200, 200, 200, 220].map((n) => 'k'.repeat(n)).join('/');
    expect(Buffer.byteLength(key)).toBe(1024);
    expect(() => assertObjectKey(key)).not.toThrow();
    expect(() => assertObjectKey(`${key}k`)).toThrow(/longer than 1024 bytes/);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    expect(() => assertObjectKey('é'.repeat(128))).toThrow(/segment longer than 255 bytes/);
  });

  it('accepts prefixes that end with a slash or inside a segment, and the empty prefix', () => {
    for (const prefix of ['', 'logs/', 'logs/pipe', 'artifacts/run-1/']) {
      expect(() => assertObjectPrefix(prefix)).not.toThrow();
    }
  });

  it.each(['/abs', '../', 'a/../b/', 'a//', 'a\\b', '..', 'a/..', '.kiln-uploads/'])(
    'refuses the prefix %s',
    (prefix) => {
      expect(() => assertObjectPrefix(prefix)).toThrow(InvalidObjectKeyError);
    },
  );
});
