import { cpuProblem, formatDuration, memoryProblem, parseDuration, parseQuantity } from '../index';
import { checkArtifactPath } from './artifact-path';

describe('parseDuration', () => {
  it.each([
    ['45s', 45_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1d2h3m4s', 93_784_000],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '30', '1y', '30m1h', '1.5h', ' 30m', '-5m', '1h 30m', `${'9'.repeat(30)}d`])(
    'rejects %p',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('formats back to the compact form', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('resource quantities', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    ['2.5', 2.5],
    ['1Gi', 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1G', 1e9],
    ['1e3', 1000],
  ])('%s is %d', (text, value) => expect(parseQuantity(text)).toBe(value));

  it('accepts CPU amounts and refuses memory-style or tiny ones', () => {
    expect(cpuProblem('500m')).toBeUndefined();
    expect(cpuProblem('0.5')).toBeUndefined();
    expect(cpuProblem('1Gi')).toBe('"1Gi" is not a CPU quantity; use cores like "1", "0.5" or "500m"');
    expect(cpuProblem('0.1m')).toBe('"0.1m" is less than the smallest CPU amount, "1m"');
    expect(cpuProblem('-1')).toBe('"-1" is not a CPU quantity; use cores like "1", "0.5" or "500m"');
  });

  it('accepts memory amounts and suggests the right unit for common mistakes', () => {
    expect(memoryProblem('1Gi')).toBeUndefined();
    expect(memoryProblem('1000000')).toBeUndefined();
    expect(memoryProblem('512MB')).toBe(
      '"512MB" is not a memory quantity; use bytes with a unit like "512Mi" or "1Gi"; did you mean "512Mi"?',
    );
    expect(memoryProblem('2gi')).toBe(
      '"2gi" is not a memory quantity; use bytes with a unit like "512Mi" or "1Gi"; did you mean "2Gi"?',
    );
    expect(memoryProblem('256m')).toBe('"256m" means 256 millibytes; did you mean "256Mi"?');
    expect(memoryProblem('5u')).toBe('"5u" is a fraction of a byte');
    expect(memoryProblem('lots')).toBe(
      '"lots" is not a memory quantity; use bytes with a unit like "512Mi" or "1Gi"',
    );
  });
});

describe('checkArtifactPath', () => {
  it.each([
    ['target/nextest/', 'target/nextest/'],
    ['./dist', 'dist'],
    ['a/./b//c', 'a/b/c'],
    ['a/../b', 'b'],
    ['.', '.'],
  ])('normalises %s to %s', (raw, path) => expect(checkArtifactPath(raw)).toEqual({ ok: true, path }));

  it.each(['/etc/passwd', 'C:\\out', '\\\\server\\share', '../x', 'a/../../x', '~/out', 'a\\b', 'out/*.xml'])(
    'rejects %s',
    (raw) => {
      expect(checkArtifactPath(raw).ok).toBe(false);
    },
  );
});
