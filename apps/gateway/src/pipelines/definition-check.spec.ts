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

  it("maps resource classes through the operator's table", () => {
    const yaml = `${CIRCLECI.replace('executor: node,', 'executor: node, resource_class: arm.large,')}`;
    const table = { 'arm.large': { cpu: '4', memory: '16Gi' } };
    expect(lintDefinition(yaml, true, table)).toMatchObject({
      valid: true,
      warnings: [],
      explained: { pipeline: { steps: [{ name: 'test', resources: { cpu: '4', memory: '16Gi' } }] } },
    });
    expect(lintDefinition(yaml).warnings).toEqual([
      expect.objectContaining({ path: 'jobs.test.resource_class' }),
    ]);
  });

  it('leaves the mapped pipeline out unless asked', () => {
    expect(lintDefinition(CIRCLECI)).not.toHaveProperty('explained');
  });
});
