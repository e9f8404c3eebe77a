import { lintDefinition } from './definition-check';

const CIRCLECI = [
  'version: 2.1',
  'executors: { node: { docker: [{ image: node:20 }] } }',
  'jobs: { test: { executor: node, steps: [checkout, { run: npm test }] } }',
].join('\n');

describe('lintDefinition', () => {
  it('shows what a CircleCI file became when asked to explain', () => {
    expect(lintDefinition(CIRCLECI, true)).toMatchObject({
      valid: true,
      format: 'circleci',
      explained: { pipeline: { steps: [{ name: 'test', image: 'node:20' }] } },
    });
  });

  it('leaves the mapped pipeline out unless asked', () => {
    expect(lintDefinition(CIRCLECI)).not.toHaveProperty('explained');
  });
});
