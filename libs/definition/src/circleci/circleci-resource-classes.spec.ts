import { parseDefinition, resourceClassTableProblem } from '../index';
import { yaml } from '../yaml-lines.spec-helper';

const job = (resourceClass: string) =>
  yaml(
    'version: 2.1',
    'jobs:',
    '  a:',
    '    docker: [{ image: x }]',
    `    resource_class: ${resourceClass}`,
    '    steps: [{ run: make }]',
  );

describe('CircleCI resource classes', () => {
  it("maps an operator's class and overrides a built-in one", () => {
    const resourceClasses = { 'arm.medium': { cpu: '2', memory: '8Gi' }, large: { cpu: '3', memory: '6Gi' } };
    for (const [name, expected] of [
      ['arm.medium', { cpu: '2', memory: '8Gi' }],
      ['large', { cpu: '3', memory: '6Gi' }],
      ['small', { cpu: '1', memory: '2Gi' }],
    ] as const) {
      const result = parseDefinition(job(name), { resourceClasses });
      expect(result).toMatchObject({ ok: true, warnings: [] });
      expect(result.ok && result.definition.steps[0].resources).toEqual(expected);
    }
  });

  it('warns about a class in neither table, naming the classes it knows', () => {
    const result = parseDefinition(job('gpu.nvidia.small'), {
      resourceClasses: { huge: { cpu: '64', memory: '128Gi' } },
    });
    expect(result.ok && result.definition.steps[0].resources).toBeUndefined();
    expect(result.warnings.map((w) => w.message)).toEqual([
      `jobs.a.resource_class: resource class "gpu.nvidia.small" is not in Kiln's table (small, medium, medium+, large, xlarge, 2xlarge, 2xlarge+, huge); the executor's default resources apply`,
    ]);
  });

  it('accepts a table of class → { cpu, memory } quantities', () => {
    expect(resourceClassTableProblem({})).toBeUndefined();
    expect(resourceClassTableProblem({ 'arm.large': { cpu: '500m', memory: '1.5Gi' } })).toBeUndefined();
  });

  it.each([
    [[], 'must be a JSON object of resource class → { "cpu": "2", "memory": "4Gi" }'],
    [{ big: 4 }, 'class "big" must be an object with "cpu" and "memory"'],
    [
      { big: { cpu: '4', memory: '8Gi', gpu: '1' } },
      'class "big" has an unknown key "gpu"; use "cpu" and "memory"',
    ],
    [
      { big: { cpu: 4, memory: '8Gi' } },
      'class "big" needs "cpu" and "memory" as strings, like "2" and "4Gi"',
    ],
    [
      { big: { cpu: '4Gi', memory: '8Gi' } },
      'class "big": "4Gi" is not a CPU quantity; use cores like "1", "0.5" or "500m"',
    ],
  ])('refuses %j', (table, problem) => {
    expect(resourceClassTableProblem(table)).toBe(problem);
  });
});
