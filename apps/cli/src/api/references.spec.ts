import { UsageError } from '../errors';
import { parseRunRef, splitPipelineRef } from './references';

describe('run and pipeline references', () => {
  const id = '0b6c1c5e-8f7a-4c2e-9a55-5b1b2f1d9e10';

  it('reads a run as an id, <project>/<number>, <project>#<number> or a number with --project', () => {
    expect(parseRunRef(id)).toEqual({ project: undefined, id });
    expect(parseRunRef('web/12')).toEqual({ project: 'web', number: 12 });
    expect(parseRunRef('web#12')).toEqual({ project: 'web', number: 12 });
    expect(parseRunRef(`web/${id}`)).toEqual({ project: 'web', id });
    expect(parseRunRef('#7', 'api')).toEqual({ project: 'api', number: 7 });
  });

  it('refuses a bare number without a project, and anything else, as usage errors', () => {
    expect(() => parseRunRef('12')).toThrow(UsageError);
    expect(() => parseRunRef('web/latest')).toThrow(/not a run/);
  });

  it('reads a pipeline as <project>/<pipeline> or a name with --project', () => {
    expect(splitPipelineRef('web/ci')).toEqual({ project: 'web', pipeline: 'ci' });
    expect(splitPipelineRef('ci', 'web')).toEqual({ project: 'web', pipeline: 'ci' });
    expect(() => splitPipelineRef('ci')).toThrow(/--project/);
  });
});
