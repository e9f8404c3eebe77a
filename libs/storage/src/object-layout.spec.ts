import { cacheObjectKey, stepLogKey } from './object-layout';

describe('object layout', () => {
  it('keeps the first attempt of a step at the documented log path and retries beside it', () => {
    expect(stepLogKey('r1', 'test-18', 1)).toBe('logs/pipelines/r1/test-18.log');
    expect(stepLogKey('r1', 'test-18', 2)).toBe('logs/pipelines/r1/attempts/test-18/2.log');
  });

  it('never gives two attempts or two steps one log path', () => {
    const keys = ['a', 'a.attempt-2', 'attempts', 'a.log'].flatMap((name) =>
      [1, 2, 3].map((attempt) => stepLogKey('r', name, attempt)),
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('stores caches per project under a digest of the key', () => {
    const key = cacheObjectKey('p1', 'deps-abc');
    expect(key).toMatch(/^caches\/p1\/[0-9a-f]{64}\.tar\.gz$/);
    expect(cacheObjectKey('p2', 'deps-abc')).not.toBe(key);
    expect(cacheObjectKey('p1', 'deps-abd')).not.toBe(key);
  });
});
