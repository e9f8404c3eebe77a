import { ConfigError } from '@kiln/config';
import { loadConfig } from './config';

describe('executor configuration', () => {
  it('defaults to the local backend with 4 slots and a 20 s shutdown grace', () => {
    expect(loadConfig({})).toMatchObject({
      KILN_EXECUTOR_BACKEND: 'local',
      KILN_EXECUTOR_CAPACITY: 4,
      KILN_SHUTDOWN_GRACE_SECONDS: 20,
      KILN_SANDBOX_NETWORK: true,
    });
  });

  it('refuses the kubernetes backend, which this build does not have', () => {
    expect(() => loadConfig({ KILN_EXECUTOR_BACKEND: 'kubernetes' })).toThrow(ConfigError);
    expect(() => loadConfig({ KILN_EXECUTOR_BACKEND: 'kubernetes' })).toThrow(
      'KILN_EXECUTOR_BACKEND ("kubernetes"): the kubernetes backend is not available in this build; use local',
    );
  });

  it('names a bad capacity', () => {
    expect(() => loadConfig({ KILN_EXECUTOR_CAPACITY: '0' })).toThrow(/KILN_EXECUTOR_CAPACITY \("0"\)/);
  });
});
