import { reusedStepNames } from './reused-steps';

// build → test → deploy, build → lint, docs alone.
const STEPS = [
  { name: 'build', dependsOn: [] },
  { name: 'test', dependsOn: ['build'] },
  { name: 'lint', dependsOn: ['build'] },
  { name: 'deploy', dependsOn: ['test'] },
  { name: 'docs', dependsOn: [] },
];
const ALL_SUCCEEDED = new Set(STEPS.map((s) => s.name));

describe('reusedStepNames', () => {
  it('reuses nothing on a plain retry', () => {
    expect(reusedStepNames({}, STEPS, ALL_SUCCEEDED)).toEqual(new Set());
  });

  it('reuses every succeeded step with failedOnly', () => {
    expect(reusedStepNames({ failedOnly: true }, STEPS, new Set(['build', 'docs']))).toEqual(new Set(['build', 'docs']));
  });

  it('runs the named step and its dependants again and reuses the others', () => {
    expect(reusedStepNames({ rerunStep: 'test' }, STEPS, ALL_SUCCEEDED)).toEqual(new Set(['build', 'lint', 'docs']));
  });

  it('runs everything depending on the first step again when it is the one rerun', () => {
    expect(reusedStepNames({ rerunStep: 'build' }, STEPS, ALL_SUCCEEDED)).toEqual(new Set(['docs']));
  });

  it('never reuses a step that did not succeed', () => {
    expect(reusedStepNames({ rerunStep: 'deploy' }, STEPS, new Set(['build', 'test']))).toEqual(new Set(['build', 'test']));
  });
});
