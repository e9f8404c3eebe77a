import { LogTimesDecoder, LogTimesEncoder, logTimesKey, stepLogKey } from './index';

describe('log times', () => {
  it('reads back the time of every line, untimed lines and repeated times included', () => {
    const encoder = new LogTimesEncoder();
    const text =
      encoder.encode(1_765_000_000_000) +
      encoder.encode(1_765_000_000_002, 2) +
      encoder.encode(null) +
      encoder.encode(1_764_999_999_999);
    expect(text).toBe('kiln-log-times 1\n1765000000000\n2\n0\n\n-3\n');
    const decoder = new LogTimesDecoder();
    // Split mid-entry, as object streams split.
    const times = [...decoder.push(text.slice(0, 20)), ...decoder.push(text.slice(20))];
    expect(times).toEqual([1_765_000_000_000, 1_765_000_000_002, 1_765_000_000_002, null, 1_764_999_999_999]);
  });

  it('gives no times for a file of another format', () => {
    expect(new LogTimesDecoder().push('something else\n12\n')).toEqual([null, null]);
  });

  it('keeps the times beside the log under a name no log can have', () => {
    expect(logTimesKey(stepLogKey('r', 'build', 1))).toBe('logs/pipelines/r/build.log.times');
    expect(logTimesKey(stepLogKey('r', 'build', 2))).toBe('logs/pipelines/r/attempts/build/2.log.times');
  });
});
