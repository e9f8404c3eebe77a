import { CircleCiEnv } from './circleci.env';
import { ConfigError, loadEnv } from './load-config';

const problemsOf = (value: string): string[] => {
  try {
    loadEnv([CircleCiEnv], { KILN_CIRCLECI_RESOURCE_CLASSES: value });
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
};

describe('KILN_CIRCLECI_RESOURCE_CLASSES', () => {
  it('is an empty table when unset', () => {
    expect(loadEnv([CircleCiEnv], {}).KILN_CIRCLECI_RESOURCE_CLASSES).toEqual({});
  });

  it('reads a JSON table of class → { cpu, memory }', () => {
    const env = loadEnv([CircleCiEnv], {
      KILN_CIRCLECI_RESOURCE_CLASSES: '{"arm.medium":{"cpu":"2","memory":"8Gi"}}',
    });
    expect(env.KILN_CIRCLECI_RESOURCE_CLASSES).toEqual({ 'arm.medium': { cpu: '2', memory: '8Gi' } });
  });

  it('stops the app naming the variable for text that is not JSON', () => {
    expect(problemsOf('large=4')).toEqual([
      'KILN_CIRCLECI_RESOURCE_CLASSES ("large=4"): must be JSON: an object of resource class → { "cpu": "2", "memory": "4Gi" }',
    ]);
  });

  it('stops the app naming the class whose quantity is wrong', () => {
    expect(problemsOf('{"large":{"cpu":"4","memory":"8 gigs"}}')).toEqual([
      expect.stringMatching(
        /^KILN_CIRCLECI_RESOURCE_CLASSES \(.*\): class "large": "8 gigs" is not a memory quantity/,
      ),
    ]);
  });
});
